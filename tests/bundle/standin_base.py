"""A stand-in for images/Dockerfile's pinned base image, so that the images are really built in tests.

No container registry is reachable from the machines the tests run on, so the pinned
`python:3.11-slim-bookworm@sha256:...` cannot be pulled. This builds the closest thing from Debian's
own packages (which these machines do reach): Debian 12 minbase with its Python 3.11, `python` on the
PATH and the venv module, made with mmdebstrap and imported into buildah's storage once (cached there
under a fixed name). scripts/bundle builds on it when ENCLAVE_BUNDLE_BASE_IMAGE names it, and says so in
the bundle's images.txt: images built on the stand-in are for tests, never for a release.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

CACHE = Path(os.environ.get("ENCLAVE_CACHE", Path.home() / ".cache" / "enclave"))
STANDIN_BASE = "localhost/enclave-test-base:bookworm"
# The packages that make Debian 12 minbase look like the slim Python image to the Dockerfile: the
# interpreter (Debian 12's is 3.11), `python` on the PATH, and venv with its bundled pip.
PACKAGES = "python3.11,python3.11-venv,python-is-python3"


def buildah(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """buildah on the storage scripts/bundle uses (overlay, in the cache; see buildah_cmd there)."""
    driver = os.environ.get("ENCLAVE_BUILDAH_DRIVER", "overlay")
    root = CACHE / "buildah" / driver
    return subprocess.run(
        [
            "buildah",
            "--root",
            str(root / "storage"),
            "--runroot",
            str(root / "run"),
            "--storage-driver",
            driver,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=check,
    )


def standin_base() -> str:
    """The stand-in's image name, building it first if buildah's storage does not hold it yet."""
    if buildah("inspect", "--type", "image", STANDIN_BASE, check=False).returncode == 0:
        return STANDIN_BASE
    (CACHE / "bundle").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE / "bundle", prefix="standin.") as folder:
        work = Path(folder)
        subprocess.run(
            [
                "mmdebstrap",
                "--quiet",
                "--variant=minbase",
                f"--include={PACKAGES}",
                "bookworm",
                str(work / "rootfs.tar"),
            ],
            check=True,
            timeout=900,
        )
        (work / "Containerfile").write_text('FROM scratch\nADD rootfs.tar /\nCMD ["python3"]\n')
        buildah("bud", "--quiet", "--isolation", "chroot", "-t", STANDIN_BASE, str(work))
    return STANDIN_BASE
