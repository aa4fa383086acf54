"""The api's own limits on its sign-in routes, per source address (counted by ``web.address_limits``).

Keycloak locks an account after repeated wrong passwords (brute-force detection, ``realm_settings``);
these bound what one address can make the api do before Keycloak is even asked: how many sign-ins it
may start (each costs a pending login in Redis and a redirect) and how many sign-ins may fail at the
callback (a forged or replayed state, a refused code, an account that may not enter). Over a limit,
the route answers 429 until its window has passed.
"""

from __future__ import annotations

from typing import Final

from enclave.web.address_limits import PREFIX, Limit, count, refuse_if_over

#: Sign-ins started: far above what people behind one address do, far below a flood.
LOGIN_STARTS: Final = Limit("login", 120, 60, "Too many sign-ins started from this address; wait a minute.")
#: Sign-ins that failed at the callback.
CALLBACK_FAILURES: Final = Limit(
    "callback-failure", 30, 900, "Too many failed sign-ins from this address; wait and retry."
)

__all__ = ["CALLBACK_FAILURES", "LOGIN_STARTS", "PREFIX", "count", "refuse_if_over"]
