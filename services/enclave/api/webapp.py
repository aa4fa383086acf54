"""The web app's files, from the api's own origin: ``/app/...`` answers the app's page (its routes are
the app's own), ``/assets/...`` the hashed files the build made, ``/`` sends a browser to the app.

The page is never cached (it names the current build's files); a hashed file never changes, so it is
cached for a year. Both carry the strict Content Security Policy of ``security_headers``. Serves only
the files of the configured build folder (``ENCLAVE_API_WEBAPP_DIR``), by names of safe characters;
without a build the app's routes answer 404 and the api works as before.
"""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Controller, Response, Router, get
from litestar.params import FromPath
from litestar.response import File, Redirect

from enclave.domain.errors import NotFound

_ASSET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".json": "application/json",
}


def webapp_router(build: Path | None) -> Router:
    class WebAppController(Controller):
        include_in_schema = False

        @get("/", cache=False)
        async def root(self) -> Redirect:
            return Redirect("/app/", status_code=303)

        @get(["/app", "/app/{route:path}"], cache=False)
        async def page(self) -> Response[bytes]:
            index = _built(build) / "index.html"
            return Response(
                index.read_bytes(),
                media_type="text/html",
                headers={"Cache-Control": "no-store"},
            )

        @get("/assets/{name:str}")
        async def asset(self, name: FromPath[str]) -> File:
            folder = _built(build) / "assets"
            suffix = Path(name).suffix
            if not _ASSET.fullmatch(name) or suffix not in _TYPES or not (folder / name).is_file():
                raise NotFound("No such file.")
            return File(
                folder / name,
                content_disposition_type="inline",
                media_type=_TYPES[suffix],
                headers={"Cache-Control": "public, max-age=31536000, immutable"},
            )

    return Router(path="/", route_handlers=[WebAppController])


def _built(build: Path | None) -> Path:
    if build is None or not (build / "index.html").is_file():
        raise NotFound("The web app is not built on this server.")
    return build
