"""``enclave import``: sends a Label Studio JSON export to an Enclave api as an import into a project,
and follows the import job with a progress bar until it ends.

The project must already label with the Label Studio project's config (``POST
/api/v1/ontologies/label-studio``) and hold its images (uploaded under their file names). The API key
is read from a file or the ``ENCLAVE_API_KEY`` environment variable, never from the command line
(where other users of the machine could read it); the api's certificate is always verified, against
the system's CAs or ``--ca-file``. Exits 0 when the import succeeded, 2 when it failed (its message
names the task and the field) or the api refused it.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from enclave.cli.progress import progress_bar

#: Bytes sent per chunk of the upload (the body streams: a large export is never held whole).
CHUNK = 1024 * 1024
POLL_S = 0.5


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "import",
        help="import a Label Studio JSON export into a project of an Enclave api",
        description=(__doc__ or "").splitlines()[0],
    )
    parser.add_argument("--from", dest="source", choices=("label-studio",), required=True)
    parser.add_argument("--api", required=True, help="the api's https:// URL")
    parser.add_argument("--project", required=True, help="the project's id")
    parser.add_argument("--input", type=Path, required=True, help="the Label Studio JSON export")
    parser.add_argument(
        "--api-key-file", type=Path, help="a file holding the API key (else $ENCLAVE_API_KEY)"
    )
    parser.add_argument("--ca-file", type=Path, help="the CA that signed the api's certificate")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        key = _key(args.api_key_file)
        _https_only(args.api)
        verify: Any = str(args.ca_file) if args.ca_file else True
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(
            base_url=args.api.rstrip("/") + "/api/v1", headers=headers, verify=verify, timeout=60
        ) as api:
            job = _upload(api, args.project, args.input)
            job = _follow(api, args.project, job, console)
    except (OSError, ValueError, httpx.HTTPError) as error:
        console.print(f"enclave import: {error}", markup=False, soft_wrap=True)
        return 2
    if job["state"] != "succeeded":
        console.print(
            f"enclave import: the import {job['state']}: {job['error']}", markup=False, soft_wrap=True
        )
        return 2
    print(f"imported: {job['result']}")
    return 0


def _https_only(url: str) -> None:
    if not url.startswith("https://"):
        raise ValueError("the api is reached over https only")


def _key(path: Path | None) -> str:
    key = path.read_text().strip() if path is not None else os.environ.get("ENCLAVE_API_KEY", "")
    if not key:
        raise ValueError("no API key: give --api-key-file or set ENCLAVE_API_KEY")
    return key


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def _upload(api: httpx.Client, project: str, path: Path) -> dict[str, Any]:
    response = api.post(
        f"/projects/{project}/imports",
        content=_chunks(path),
        headers={"Content-Type": "application/json", "Content-Length": str(path.stat().st_size)},
    )
    if response.status_code != 202:
        raise ValueError(f"the api refused the import ({response.status_code}): {_detail(response)}")
    job: dict[str, Any] = response.json()
    return job


def _follow(api: httpx.Client, project: str, job: dict[str, Any], console: Console) -> dict[str, Any]:
    with progress_bar(console) as progress:
        bar = progress.add_task("importing", total=None)
        while job["state"] in {"queued", "running"}:
            time.sleep(POLL_S)
            response = api.get(f"/projects/{project}/jobs/{job['id']}")
            response.raise_for_status()
            job = response.json()
            progress.update(bar, completed=job["progress"]["done"], total=job["progress"]["total"])
    return job


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:300]
