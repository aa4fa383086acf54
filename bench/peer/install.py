"""Label Studio's own virtual environment: a pinned release and a pinned gunicorn, installed from PyPI
into ``$ENCLAVE_CACHE/labelstudio/<version>/venv`` and reused by every later run.

Owns the pins and the install only. The environment counts as installed once its marker file exists,
and the marker is written last, after the installer succeeded, so an interrupted install is redone.
Must never install into the project's own environment: Label Studio pins Django and friends that
Enclave must not inherit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: The newest 1.x release on PyPI that installs on Python 3.11.
LABEL_STUDIO_VERSION = "1.23.2"
#: Label Studio does not ship a WSGI server; its images run uWSGI. gunicorn is the production server here.
GUNICORN_VERSION = "27.0.1"
#: The installer the Makefile provisions (``UV_VERSION`` there).
UV_VERSION = "0.13.8"
PYTHON = "python3.11"
INSTALL_TIMEOUT_S = 1800


@dataclass(frozen=True)
class Installation:
    """An installed Label Studio: its version and the virtual environment that holds it."""

    version: str
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def gunicorn(self) -> Path:
        return self.venv / "bin" / "gunicorn"

    @property
    def package_dir(self) -> Path:
        """The installed ``label_studio`` package: gunicorn's ``--chdir``, where ``core.wsgi`` lives."""
        found = sorted(self.venv.glob("lib/python*/site-packages/label_studio"))
        if not found:
            raise FileNotFoundError(f"no label_studio package in {self.venv}")
        return found[0]


def cache_dir() -> Path:
    """``$ENCLAVE_CACHE`` as the Makefile sets it, else its default."""
    configured = os.environ.get("ENCLAVE_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "enclave"


def _uv() -> Path:
    uv = cache_dir() / "tools" / f"uv-{UV_VERSION}" / "bin" / "uv"
    if not uv.is_file():
        raise FileNotFoundError(f"{uv} is missing: `make python-deps` installs it")
    return uv


def install_label_studio(
    version: str = LABEL_STUDIO_VERSION, log: Callable[[str], None] = print
) -> Installation:
    """Label Studio ``version`` with gunicorn in its own environment; installs it on the first call only."""
    home = cache_dir() / "labelstudio" / version
    installation = Installation(version, home / "venv")
    marker = home / "installed"
    if marker.is_file():
        return installation
    if installation.venv.exists():  # a partial install from an interrupted run
        shutil.rmtree(installation.venv)
    home.mkdir(parents=True, exist_ok=True)
    uv = _uv()
    requirements = [f"label-studio=={version}", f"gunicorn=={GUNICORN_VERSION}"]
    log(f"label-studio: installing {' '.join(requirements)} into {installation.venv} (first run only)")
    started = time.monotonic()
    env = os.environ | {"UV_PYTHON_DOWNLOADS": "never"}
    # uv prints its own progress (resolving, downloading, installing) on stderr, which stays the terminal's.
    subprocess.run(  # noqa: S603
        [str(uv), "venv", "--quiet", "--python", PYTHON, str(installation.venv)], check=True, env=env
    )
    subprocess.run(  # noqa: S603
        [str(uv), "pip", "install", "--python", str(installation.python), *requirements],
        check=True,
        env=env,
        timeout=INSTALL_TIMEOUT_S,
    )
    marker.write_text(f"label-studio=={version}\ngunicorn=={GUNICORN_VERSION}\n")
    log(f"label-studio: installed in {time.monotonic() - started:.0f} s")
    return installation
