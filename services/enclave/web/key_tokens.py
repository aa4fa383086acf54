"""The API key token format: ``enc_<organization id hex>_<prefix>_<secret>``.

The organization id lets the api bind the right tenant before it looks the key up (row-level
security hides every other tenant's keys); the prefix finds the row; only the SHA-256 of the whole
token is stored, so the database never holds a usable key. The secret carries 256 bits, which is why
a fast hash suffices here (nothing to brute-force), unlike for passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

_TOKEN = re.compile(r"^enc_([0-9a-f]{32})_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class KeyToken:
    organization_id: uuid.UUID
    prefix: str
    value: str  # the whole token; shown once at creation, then only its hash exists

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.value.encode()).digest()

    def matches(self, stored_digest: bytes) -> bool:
        return hmac.compare_digest(self.digest, stored_digest)


def new_token(organization_id: uuid.UUID) -> KeyToken:
    prefix = secrets.token_hex(6)
    return KeyToken(
        organization_id, prefix, f"enc_{organization_id.hex}_{prefix}_{secrets.token_urlsafe(32)}"
    )


def parse_token(value: str) -> KeyToken | None:
    match = _TOKEN.fullmatch(value)
    if match is None:
        return None
    return KeyToken(uuid.UUID(hex=match.group(1)), match.group(2), value)
