"""An authenticated caller before the database is consulted: which user of which organization.

Authenticators (API keys, browser sessions, and in test mode the test-only header) turn a request
into a ``Claim``; the guard then loads the member's current role and state, so a demoted or removed
user loses their rights at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from enclave.web.key_tokens import KeyToken


@dataclass(frozen=True, slots=True)
class Claim:
    organization_id: uuid.UUID
    #: None for an API key until the guard has looked the key up (inside the tenant).
    user_id: uuid.UUID | None
    via: str
    #: Whether the sign-in behind this claim used a second factor (sessions say; others need none).
    second_factor: bool = True
    #: False when a browser session made a state-changing request without its CSRF token.
    csrf_ok: bool = True
    #: The presented API key, still to be verified.
    api_key: KeyToken | None = None
