"""The customer's own S3 buckets: where a dataset may keep its (encrypted) objects instead of the
organization's bucket, and where an import may read from.

Owns checking a location before anything connects to it: the endpoint must be one the installation
allows (``ENCLAVE_S3_EXTERNAL_ENDPOINTS``: nothing else is ever contacted), the credentials are named,
never carried (two files per name, ``<name>.access_key`` and ``<name>.secret_key``, in
``ENCLAVE_S3_EXTERNAL_SECRETS_DIR``: one mounted Kubernetes Secret, or several projected into it),
and bucket and prefix are well-formed. Must never put a credential in an error, a log line, the
database or a response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from enclave.settings import S3Settings, read_secret

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_CREDENTIALS = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_PREFIX = 512


class LocationRefused(ValueError):
    """The location cannot be used; the message names what is wrong, never a secret."""


@dataclass(frozen=True, slots=True)
class Location:
    endpoint: str
    bucket: str
    prefix: str
    region: str
    credentials: str


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key: str
    secret_key: str

    def __repr__(self) -> str:
        return "Credentials(...)"


def check(location: Location, settings: S3Settings) -> Credentials:
    """The credentials of a location that passes every check; ``LocationRefused`` otherwise."""
    allowed = {endpoint.rstrip("/") for endpoint in settings.external_endpoints}
    if location.endpoint.rstrip("/") not in allowed:
        raise LocationRefused("This S3 endpoint is not one the installation allows.")
    if not _BUCKET.match(location.bucket) or ".." in location.bucket:
        raise LocationRefused("The bucket name is not a valid S3 bucket name.")
    if (
        len(location.prefix) > MAX_PREFIX
        or location.prefix.startswith("/")
        or any(ord(c) < 0x20 for c in location.prefix)
    ):
        raise LocationRefused(
            f"The prefix must be at most {MAX_PREFIX} printable characters, not starting with '/'."
        )
    if not _CREDENTIALS.match(location.credentials):
        raise LocationRefused("Credentials are named by a lowercase name (letters, digits, '-').")
    return _read(settings.external_secrets_dir, location.credentials)


def _read(directory: Path | None, name: str) -> Credentials:
    if directory is None:
        raise LocationRefused("The installation has no S3 credentials for customer buckets.")
    try:
        return Credentials(
            read_secret(directory / f"{name}.access_key"), read_secret(directory / f"{name}.secret_key")
        )
    except OSError:
        raise LocationRefused(f"No S3 credentials named '{name}' are installed.") from None
