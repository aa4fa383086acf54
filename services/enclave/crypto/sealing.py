"""Seals small server-side records (browser sessions, pending logins) before they go to Redis.

AES-256-GCM with a key derived (HKDF-SHA256) from the installation's session secret; the Redis key
is the associated data, so a sealed record copied under another key does not open. Tokens and PKCE
verifiers therefore never sit in Redis in the clear. Must never log a record or the key.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"
NONCE_BYTES = 12


class SealBroken(Exception):
    """The record was altered, moved to another key, or sealed under another secret."""


class Sealer:
    def __init__(self, secret: bytes, purpose: bytes = b"enclave/browser-session/v1") -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must hold at least 16 bytes")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, associated: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + self._aead.encrypt(nonce, plaintext, VERSION + associated)

    def open(self, sealed: bytes, associated: bytes) -> bytes:
        if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != VERSION:
            raise SealBroken("not a sealed record of this version")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, VERSION + associated)
        except InvalidTag as error:
            raise SealBroken("the record does not open with this key and name") from error
