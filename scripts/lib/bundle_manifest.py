"""The offline bundle's checksum manifest, its ed25519 signature, and the check of both.

Owns the format of a bundle's proof of integrity: `MANIFEST.sha256` (one `<sha256>  <path>` line per
file, sorted, the format `sha256sum -c` reads), `MANIFEST.sha256.sig` (the raw 64-byte ed25519 signature
over the manifest's bytes, as `openssl pkeyutl -verify -rawin` reads it) and `signing-key.pub` (the
signer's public key, PEM). Verifying reads the bundle tarball in place, member by member, and never
extracts it: a bundle is untrusted until every check has passed.

Must never: write or print a private key anywhere but its own 0600 file; accept a bundle member that
is not a plain file or folder (links, devices), a path outside the bundle's one top folder, a name
given twice, or a file the signed manifest does not list.

Run by scripts/bundle with the project's Python (it needs `cryptography`):
    bundle_manifest.py sign DIR --key PRIVATE_KEY_PEM [--create]
    bundle_manifest.py verify BUNDLE_TAR [--key PUBLIC_KEY_PEM]
    bundle_manifest.py values IMAGE_LIST OUT_YAML
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MANIFEST = "MANIFEST.sha256"
SIGNATURE = "MANIFEST.sha256.sig"
PUBLIC_KEY = "signing-key.pub"
# The signature's own files are not in the manifest: the manifest cannot hash its own signature, and
# the public key names the signer rather than being content.
PROOF_FILES = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})
_CHUNK = 1 << 20


class BundleRefused(Exception):
    """The bundle failed a check; the message names the first bad file and why."""


def _log(message: str) -> None:
    print(f"bundle: {message}", file=sys.stderr, flush=True)


def _sha256_of(stream: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in stream:
        digest.update(chunk)
    return digest.hexdigest()


def _chunks(read: Callable[[int], bytes]) -> Iterator[bytes]:
    while chunk := read(_CHUNK):
        yield chunk


def fingerprint(key: Ed25519PublicKey) -> str:
    """A short, printable identity of a public key: SHA-256 of its 32 raw bytes, hex."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- signing -------------------------------------------------------------------------------------------


def load_private_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    """The signing key in PATH (PKCS#8 PEM); with `create`, a new one is made there (0600) if missing."""
    if not path.exists():
        if not create:
            raise SystemExit(f"bundle: signing key {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # O_EXCL: two bundles started at once must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_private_key(path, create=False)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        _log(f"made a new signing key for local use: {path}")
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise SystemExit(f"bundle: {path} is not an ed25519 private key")
    return loaded


def manifest_of(root: Path) -> bytes:
    """The manifest of every file under ROOT but the proof files, sorted by path."""
    lines = []
    # Sorted by the path's bytes, as `LC_ALL=C sort` orders them, so the manifest reads the same to
    # every tool.
    paths = sorted((p for p in root.rglob("*") if p.is_file() or p.is_symlink()), key=lambda p: p.as_posix())
    for path in paths:
        relative = path.relative_to(root).as_posix()
        if relative in PROOF_FILES:
            continue
        if path.is_symlink():
            raise SystemExit(f"bundle: {relative} is a symbolic link; a bundle holds regular files only")
        with path.open("rb") as handle:
            lines.append(f"{_sha256_of(_chunks(handle.read))}  {relative}\n")
    return "".join(lines).encode()


def sign(root: Path, key_path: Path, *, create: bool) -> None:
    key = load_private_key(key_path, create=create)
    manifest = manifest_of(root)
    (root / MANIFEST).write_bytes(manifest)
    (root / SIGNATURE).write_bytes(key.sign(manifest))
    public = key.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (root / PUBLIC_KEY).write_bytes(pem)
    files = manifest.count(b"\n")
    _log(f"signed {files} files; signing key {fingerprint(public)}")
    # The public key on stdout: the one thing a person must keep and hand to whoever verifies.
    sys.stdout.write(pem.decode())


# --- verifying -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listing:
    top: str
    files: dict[str, tarfile.TarInfo]  # path inside the top folder -> member, in the tarball's order


def _list_members(bundle: tarfile.TarFile) -> _Listing:
    top: str | None = None
    files: dict[str, tarfile.TarInfo] = {}
    seen: set[str] = set()
    for member in bundle.getmembers():
        name = member.name.rstrip("/")
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise BundleRefused(f"{member.name}: a path outside the bundle")
        if name in seen:
            raise BundleRefused(f"{name}: given twice in the tarball")
        seen.add(name)
        top = top or path.parts[0]
        if path.parts[0] != top:
            raise BundleRefused(f"{name}: outside the bundle's top folder {top}/")
        if member.isdir():
            continue
        if not member.isfile():
            raise BundleRefused(f"{name}: not a regular file (a bundle holds regular files only)")
        if len(path.parts) < 2:
            raise BundleRefused(f"{name}: a file beside the bundle's top folder")
        files[PurePosixPath(*path.parts[1:]).as_posix()] = member
    if top is None:
        raise BundleRefused("the tarball is empty")
    return _Listing(top, files)


def _open(bundle: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    handle = bundle.extractfile(member)
    if handle is None:  # not reached: _list_members lets regular files through only
        raise BundleRefused(f"{member.name}: not a regular file")
    return handle


def _read(bundle: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    return _open(bundle, member).read()


def _parse_manifest(text: bytes) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate(text.decode("utf-8", "strict").splitlines(), 1):
        digest, sep, path = line.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not path:
            raise BundleRefused(f"{MANIFEST}: line {number} is not '<sha256>  <path>'")
        if path in entries or path in PROOF_FILES:
            raise BundleRefused(f"{MANIFEST}: line {number} lists {path} again")
        entries[path] = digest
    return entries


def _load_public_key(pem: bytes, origin: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise BundleRefused(f"{origin}: not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BundleRefused(f"{origin}: not an ed25519 public key")
    return key


def verify(bundle_path: Path, key_path: Path | None) -> str:
    """Checks the signature, then every file; returns a one-line summary or raises BundleRefused."""
    with tarfile.open(bundle_path, "r:*") as bundle:
        listing = _list_members(bundle)
        for required in (MANIFEST, SIGNATURE):
            if required not in listing.files:
                raise BundleRefused(f"{required}: missing from the bundle")
        manifest = _read(bundle, listing.files[MANIFEST])
        signature = _read(bundle, listing.files[SIGNATURE])
        if key_path is not None:
            try:
                pem = key_path.read_bytes()
            except OSError as exc:
                raise BundleRefused(f"{key_path}: cannot read the public key ({exc.strerror})") from exc
            key = _load_public_key(pem, str(key_path))
            trust = "the key given"
        elif PUBLIC_KEY in listing.files:
            key = _load_public_key(_read(bundle, listing.files[PUBLIC_KEY]), PUBLIC_KEY)
            trust = "the key inside the bundle (pass --key to check who signed it)"
        else:
            raise BundleRefused(f"{PUBLIC_KEY}: missing from the bundle, and no --key given")
        try:
            key.verify(signature, manifest)
        except InvalidSignature:
            raise BundleRefused(
                f"{MANIFEST}: its signature does not verify with key {fingerprint(key)}"
                " (the manifest was changed, or signed by another key)"
            ) from None
        expected = _parse_manifest(manifest)
        checked = 0
        for path, member in listing.files.items():
            if path in PROOF_FILES:
                continue
            if path not in expected:
                raise BundleRefused(f"{path}: not listed in the signed manifest")
            if _sha256_of(_chunks(_open(bundle, member).read)) != expected[path]:
                raise BundleRefused(f"{path}: checksum does not match the signed manifest")
            checked += 1
            _log(f"  ok  {path} ({member.size:,} bytes)")
        missing = sorted(set(expected) - set(listing.files))
        if missing:
            raise BundleRefused(f"{missing[0]}: listed in the signed manifest but missing from the bundle")
    return f"{listing.top}: {checked} files match the signed manifest; signed by {fingerprint(key)}, {trust}"


# --- chart values for the pinned images ----------------------------------------------------------------


def image_values(image_list: Path) -> str:
    """Chart values (`<name>.image.repository` and `.digest`) for every image of an image list."""
    out = [
        "# Written by scripts/bundle from the bundle's images.txt: every image the chart runs, by digest.",
        "# helm install ... -f values-images.yaml (with global.imageRegistry set to your mirror).",
    ]
    for number, raw in enumerate(image_list.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 5:
            raise SystemExit(f"bundle: {image_list}:{number}: expected 5 columns, got {len(fields)}")
        name, repository, _tag, digest, _source = fields
        if not digest.startswith("sha256:"):
            continue  # an Enclave image that could not be built here has no digest to pin
        out += [f"{name}:", "  image:", f"    repository: {repository}", f"    digest: {digest}"]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bundle_manifest.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sign_cmd = commands.add_parser("sign", help="write the manifest, its signature and the public key")
    sign_cmd.add_argument("root", type=Path)
    sign_cmd.add_argument("--key", type=Path, required=True, help="ed25519 private key, PKCS#8 PEM")
    sign_cmd.add_argument("--create", action="store_true", help="make the key if it does not exist")
    verify_cmd = commands.add_parser("verify", help="check a bundle's signature and every checksum")
    verify_cmd.add_argument("bundle", type=Path)
    verify_cmd.add_argument("--key", type=Path, help="the signer's public key, PEM (trusted copy)")
    values_cmd = commands.add_parser("values", help="chart values pinning every image of a list")
    values_cmd.add_argument("image_list", type=Path)
    values_cmd.add_argument("out", type=Path)
    args = parser.parse_args(argv)

    if args.command == "sign":
        sign(args.root, args.key, create=args.create)
    elif args.command == "values":
        args.out.write_text(image_values(args.image_list))
    else:
        try:
            summary = verify(args.bundle, args.key)
        except BundleRefused as refused:
            _log(f"REFUSED {args.bundle.name}: {refused}")
            return 1
        except (OSError, EOFError, tarfile.TarError, UnicodeDecodeError) as exc:
            _log(f"REFUSED {args.bundle.name}: not a readable bundle ({exc})")
            return 1
        _log(f"verified {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
