"""Sealed column values: small customer content stored in PostgreSQL (format version 1).

Owns the envelope of single values such as annotation payloads, text items and comments: AES-256-GCM
under a data key (DEK) the caller has unwrapped, naming that key so it can be found again, and bound to
its place (organization, table, row, column) so a value copied anywhere else does not open. Must never
do I/O, log, keep a key, or return plaintext that has not verified.

Sealed value (integers big-endian; k = length of the key id in bytes, 1..255)::

    offset  size    field
    0       1       format version, 0x01
    1       1       key id length k, u8
    2       k       key id, UTF-8: names the wrapped DEK
    2+k     4       key version, u32
    6+k     12      nonce, random per seal
    18+k    m + 16  AES-256-GCM ciphertext of the m-byte plaintext ‖ 16-byte tag

    GCM associated data = u32(len(AD)) ‖ AD ‖ bytes [0, 6+k) of the sealed value

AD is the caller's associated data, normally ``field_ad(...)``; the version and key reference are
authenticated with it, so none of them can be changed either. Nonces are random, not derived: values are
sealed one at a time with no shared object to count segments in. Random 96-bit nonces keep the collision
risk negligible only up to about 2^32 seals under one DEK (NIST SP 800-38D, 8.3), so whoever manages
field DEKs must rotate them (a new key version) well before that many seals. Every failure to open (any
changed bit, truncation, unknown version, wrong key, wrong AD) raises
``enclave.crypto.segmented.DecryptionFailed``; a key that is not 32 bytes raises ``ValueError``.
"""

from __future__ import annotations

import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from enclave.crypto.segmented import (
    TAG_BYTES,
    DecryptionFailed,
    bind_associated_data,
    check_key,
    decode_key_ref,
    encode_key_ref,
)

FIELD_FORMAT_VERSION = 1
NONCE_BYTES = 12
_FIELD_AD_LABEL = b"enclave/field/v1"
_MAX_NAME_BYTES = 0xFFFF


def field_ad(organization_id: UUID, table: str, row_id: UUID, column: str) -> bytes:
    """Associated data naming a value's place: ``label ‖ org (16) ‖ u16-prefixed table ‖ row (16) ‖
    u16-prefixed column``; fixed widths and length prefixes make distinct places distinct bytes."""
    return (
        _FIELD_AD_LABEL
        + organization_id.bytes
        + _length_prefixed(table)
        + row_id.bytes
        + _length_prefixed(column)
    )


def _length_prefixed(name: str) -> bytes:
    encoded = name.encode("utf-8")
    if not 1 <= len(encoded) <= _MAX_NAME_BYTES:
        raise ValueError("table and column names must be 1 to 65535 bytes of UTF-8")
    return len(encoded).to_bytes(2, "big") + encoded


def seal_field(
    plaintext: bytes, *, key: bytes, key_id: str, key_version: int, associated_data: bytes
) -> bytes:
    """The sealed form of one value, under the DEK named ``key_id`` / ``key_version``."""
    check_key(key)
    header = bytes([FIELD_FORMAT_VERSION]) + encode_key_ref(key_id, key_version)
    nonce = os.urandom(NONCE_BYTES)
    ad = bind_associated_data(associated_data, header)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, ad)


def field_key_ref(sealed: bytes) -> tuple[str, int]:
    """(key id, key version) of the DEK that sealed a value, to unwrap before ``open_field``.

    Reading it proves nothing: the reference is authenticated only when the value is opened."""
    key_id, key_version, _ = _parse_header(sealed)
    return key_id, key_version


def open_field(sealed: bytes, *, key: bytes, associated_data: bytes) -> bytes:
    """The plaintext of a sealed value, only if it verifies under this key at this place."""
    check_key(key)
    _, _, header_end = _parse_header(sealed)
    nonce_end = header_end + NONCE_BYTES
    if len(sealed) < nonce_end + TAG_BYTES:
        raise DecryptionFailed("the sealed value is truncated")
    ad = bind_associated_data(associated_data, sealed[:header_end])
    try:
        return AESGCM(key).decrypt(sealed[header_end:nonce_end], sealed[nonce_end:], ad)
    except InvalidTag:
        raise DecryptionFailed(
            "the sealed value does not verify: it is damaged, or belongs to another key or place"
        ) from None


def _parse_header(sealed: bytes) -> tuple[str, int, int]:
    """(key id, key version, offset of the nonce) of a sealed value of a known version."""
    if not sealed:
        raise DecryptionFailed("the sealed value is empty")
    if sealed[0] != FIELD_FORMAT_VERSION:
        raise DecryptionFailed(f"unsupported sealed-value format version {sealed[0]}")
    return decode_key_ref(sealed, 1)
