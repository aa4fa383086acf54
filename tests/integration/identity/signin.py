"""Sign-in helpers for the identity tests: a person with a Keycloak account of a tenant, and the
walk from the api to Keycloak and back."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import httpx
import msgspec

from enclave.crypto.sealing import Sealer
from enclave.identity.keycloak_admin import RealmAdmin, admin_from_settings
from enclave.identity.realms import RealmService
from enclave.identity.sessions import SESSION_PREFIX, BrowserSession
from enclave.settings import KeycloakSettings, TLSSettings
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack
from tests.support.api_keys import redis_client
from tests.support.keycloak_login import login_via_form

PASSWORD = "correct horse battery staple 42"
#: ``SessionSettings.account_check_interval_s``'s default, which the test api runs with.
ACCOUNT_CHECK_S = 5


@dataclass
class Person:
    email: str
    user_id: uuid.UUID


def person(org: Tenant, realms: RealmService, role: str = "member") -> Person:
    """A member of the organization in Enclave, with a Keycloak account of the same e-mail address."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    user_id = uuid.UUID(
        org.ok("POST", "/members", json={"email": email, "display_name": email, "role": role})["user_id"]
    )
    realms.create_user(
        org.slug,
        email=email,
        first_name="Test",
        last_name="Person",
        password=PASSWORD,
        temporary_password=False,
    )
    return Person(email, user_id)


def sign_in(
    browser: httpx.Client, keycloak: httpx.Client, org: Tenant, who: Person, **walk: object
) -> httpx.Response:
    """Follows the sign-in from the api to Keycloak and back; returns the api's last answer."""
    start = browser.get("/auth/login", params={"org": org.slug, "next": "/projects"})
    assert start.status_code == 303, start.text
    location = start.headers["location"]
    for _ in range(3):
        result = login_via_form(keycloak, location, who.email, PASSWORD, **walk)  # type: ignore[arg-type]
        answer = browser.get(result.location)
        if answer.status_code == 303 and answer.headers["location"].startswith("/"):
            return answer
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]  # back to Keycloak for a second factor
        if result.totp_secret:
            walk = {"totp_secret": result.totp_secret}
    raise AssertionError("sign-in did not finish")


def session_name(cookie: str) -> str:
    """The Redis key of the session behind a session cookie."""
    return SESSION_PREFIX + hashlib.sha256(cookie.encode()).hexdigest()


def csrf(browser: httpx.Client) -> dict[str, str]:
    """The CSRF header of the browser's session, for a change."""
    answer = browser.get("/auth/session")
    assert answer.status_code == 200, answer.text
    return {"X-CSRF-Token": answer.json()["csrf_token"]}


def age_the_sign_in(stack: Stack, cookie: str, seconds: float) -> None:
    """Moves the session's sign-in ``seconds`` into the past, as if that much time had gone by: the
    record is opened and sealed again with the installation's own session key, its TTL kept."""
    sealer = Sealer(stack.secret("ENCLAVE_SESSION_KEY_FILE").encode())
    name = session_name(cookie)
    with redis_client(stack) as client:
        sealed = client.get(name)
        assert isinstance(sealed, bytes), "the session is not in Redis"
        session = msgspec.json.decode(sealer.open(sealed, name.encode()), type=BrowserSession)
        older = msgspec.structs.replace(session, auth_time=session.auth_time - seconds)
        client.set(name, sealer.seal(msgspec.json.encode(older), name.encode()), keepttl=True)


def signed_in_with_key(
    browser: httpx.Client, keycloak: httpx.Client, org: Tenant, realms: RealmService
) -> tuple[Person, dict[str, str]]:
    """A new member signed in in ``browser``, and the ``Authorization`` header of an API key they
    made there (scope ``tasks:read``)."""
    who = person(org, realms)
    sign_in(browser, keycloak, org, who)
    key = browser.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["tasks:read"]}, headers=csrf(browser)
    )
    assert key.status_code == 201, key.text
    return who, {"Authorization": f"Bearer {key.json()['secret']}"}


def change_in_keycloak(org: Tenant, who: Person, change: str) -> None:
    """Disables (``"disabled"``) or deletes (``"deleted"``) the person's account in Keycloak, as an
    admin there would, past Enclave."""
    realm = RealmAdmin(admin_from_settings(KeycloakSettings(), TLSSettings()), org.slug)
    user_id = realm.get("/users", email=who.email, exact="true")[0]["id"]
    if change == "disabled":
        realm.put(f"/users/{user_id}", {"enabled": False})
    else:
        assert change == "deleted", change
        assert realm.remove(f"/users/{user_id}")


def enable_in_keycloak(org: Tenant, who: Person) -> None:
    realm = RealmAdmin(admin_from_settings(KeycloakSettings(), TLSSettings()), org.slug)
    user_id = realm.get("/users", email=who.email, exact="true")[0]["id"]
    realm.put(f"/users/{user_id}", {"enabled": True})
