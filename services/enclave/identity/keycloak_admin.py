"""Keycloak's admin REST API, one realm at a time, and the identity package's error family.

Owns the connection to Keycloak as the installation's bootstrap admin (an admin of the ``master``
realm), the realm-name guard every admin request passes, the request plumbing that builds each path
from one realm's name and turns Keycloak's refusals into the identity errors (keeping its error code,
never a request body), and the comparison of what Keycloak holds with what Enclave wants that
lets every change write only the difference. Knows nothing of what a realm should hold: that is the
other modules' concern. Must never log or put into an error a request body (it may hold a password or
a client secret), and never send a request to a realm other than the one it was built for; the
``master`` realm is refused save through :meth:`RealmAdmin.master`, for the one grant made there.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final
from urllib.parse import quote

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from requests import Response

from enclave.settings import KeycloakSettings, TLSSettings, read_secret

# A realm name is an organization slug: a DNS-label-like token, so it is safe in a URL path, a
# cookie and a log line as is. (An identity provider's alias, a URL path segment too, is one as well.)
REALM_NAME: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_REFUSED_REALMS: Final = frozenset({"master"})


class IdentityError(Exception):
    """Base of the identity package's errors; the message never holds a secret."""


class RealmRefused(IdentityError):
    """The name is not an organization realm Enclave may manage (``master``, or malformed)."""


class RealmNotFound(IdentityError):
    """The realm does not exist (yet): ``ensure_realm`` has not run for this organization."""


class KeycloakRequestFailed(IdentityError):
    """Keycloak answered an admin request with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason  # Keycloak's error code (e.g. ``invalidPasswordMinLengthMessage``)


class PasswordRejected(KeycloakRequestFailed):
    """The realm's password policy refused the password; ``reason`` says which rule."""


class IdentityProviderInvalid(IdentityError):
    """An identity provider's spec can never work (a missing, unknown or insecure setting); the
    message names the setting, never its value."""


def check_realm_name(realm: str) -> str:
    """``realm`` if Enclave may manage it; :class:`RealmRefused` for ``master`` or a malformed name."""
    if realm.lower() in _REFUSED_REALMS:
        raise RealmRefused("The master realm is Keycloak's own administration; Enclave never manages it.")
    if not REALM_NAME.match(realm):
        raise RealmRefused("A realm name is an organization slug: 1-63 of a-z, 0-9 and '-'.")
    return realm


def admin_from_settings(settings: KeycloakSettings, tls: TLSSettings) -> KeycloakAdmin:
    """An admin of the master realm, logged in as the installation's bootstrap admin."""
    if settings.admin_password_file is None:
        raise IdentityError("Keycloak's admin credentials are not configured (admin_password_file).")
    return KeycloakAdmin(
        server_url=settings.url,
        username=settings.admin_user,
        password=read_secret(settings.admin_password_file),
        realm_name="master",
        user_realm_name="master",
        client_id="admin-cli",
        verify=str(tls.ca_file),
        timeout=20,
    )


# -- What Keycloak holds against what Enclave wants ------------------------------------------------


def differs(current: Any, desired: Any) -> bool:
    """True if ``desired`` is not contained in ``current``: dict keys Enclave does not set are ignored,
    lists of strings compare as sets (Keycloak does not keep their order)."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return True
        return any(differs(current.get(key), value) for key, value in desired.items())
    if desired == "" and current is None:  # Keycloak drops an empty attribute rather than store it
        return False
    if isinstance(desired, list) and all(isinstance(item, str) for item in desired):
        return not isinstance(current, list) or sorted(current) != sorted(desired)
    return bool(current != desired)


def changed_keys(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """The top-level keys of ``desired`` whose value ``current`` does not hold (see :func:`differs`)."""
    return sorted(key for key, value in desired.items() if differs(current.get(key), value))


# -- Admin REST calls, one realm at a time --------------------------------------------------------


class RealmAdmin:
    """Admin REST calls for one realm: under ``admin/realms/<realm>``, plus that realm's creation.

    python-keycloak's per-realm methods act on the admin object's mutable "current realm", which
    every user of that object shares; building each path from this one realm instead means a call
    can never land in another tenant's realm, whatever else runs at the same time. The connection
    (its token, refresh and TLS verification) is python-keycloak's.
    """

    def __init__(self, admin: KeycloakAdmin, realm: str) -> None:
        self._bind(admin, check_realm_name(realm))

    @classmethod
    def master(cls, admin: KeycloakAdmin) -> RealmAdmin:
        """Keycloak's own realm, for the one thing Enclave does there:
        :meth:`~enclave.identity.realms.RealmService.grant_event_reader`."""
        api = cls.__new__(cls)
        api._bind(admin, "master")
        return api

    def _bind(self, admin: KeycloakAdmin, realm: str) -> None:
        self.realm = realm
        self._connection = admin.connection
        self._base = f"admin/realms/{quote(self.realm, safe='')}"

    def request(
        self, method: str, path: str = "", body: Any = None, *, missing_ok: bool = False, **params: Any
    ) -> Response | None:
        """The response to a successful request (``None`` for a 404 if ``missing_ok``);
        :class:`RealmNotFound` if the realm itself is missing, :class:`KeycloakRequestFailed` for any
        other error. Keycloak's error *code* is kept, never a request body."""
        return self._send(
            method, f"{self._base}{path}", body, params, label=path or "/", missing_ok=missing_ok
        )

    def create_realm(self, representation: dict[str, Any]) -> bool:
        """Creates this realm; False if it already exists."""
        if representation.get("realm") != self.realm:
            raise RealmRefused("A realm is created under its own name only.")
        created = self._send("POST", "admin/realms", representation, {}, label="(create)", conflict_ok=True)
        return created is not None

    def _send(
        self,
        method: str,
        url: str,
        body: Any,
        params: dict[str, Any],
        *,
        label: str,
        missing_ok: bool = False,
        conflict_ok: bool = False,
    ) -> Response | None:
        data = None if body is None else json.dumps(body)
        try:
            if method == "GET":
                response: Response = self._connection.raw_get(url, **params)
            elif method == "POST":
                response = self._connection.raw_post(url, data=data, **params)
            elif method == "PUT":
                response = self._connection.raw_put(url, data=data, **params)
            else:
                response = self._connection.raw_delete(url, **params)
        except KeycloakError as error:
            raise KeycloakRequestFailed(
                f"Keycloak is unreachable ({method} {label} in realm {self.realm})"
            ) from error
        if response.status_code < 400:
            return response
        if (response.status_code == 404 and missing_ok) or (response.status_code == 409 and conflict_ok):
            return None
        if response.status_code == 404 and label == "/":
            raise RealmNotFound(f"There is no realm {self.realm!r}.")
        reason = _keycloak_reason(response)
        raise KeycloakRequestFailed(
            f"Keycloak refused {method} {label} in realm {self.realm}: {response.status_code}"
            + (f" {reason}" if reason else ""),
            status=response.status_code,
            reason=reason,
        )

    def exists(self) -> bool:
        return self.request("GET", missing_ok=True) is not None

    def get(self, path: str = "", **params: Any) -> Any:
        response = self.request("GET", path, **params)
        return response.json() if response is not None else None

    def post(self, path: str, body: Any) -> str | None:
        """Creates; the new object's id (from ``Location``), if Keycloak names one."""
        response = self.request("POST", path, body)
        location = response.headers.get("Location") if response is not None else None
        return location.rstrip("/").rsplit("/", 1)[-1] if location else None

    def put(self, path: str, body: Any) -> None:
        self.request("PUT", path, body)

    def find(self, path: str, **params: Any) -> Any:
        """The object at ``path``, or ``None`` if there is none."""
        response = self.request("GET", path, missing_ok=True, **params)
        return response.json() if response is not None else None

    def remove(self, path: str) -> bool:
        """Deletes the object at ``path``; False if it was already gone."""
        return self.request("DELETE", path, missing_ok=True) is not None

    def delete(self) -> bool:
        """Deletes this realm; False if it was already gone."""
        return self.request("DELETE", missing_ok=True) is not None


def _keycloak_reason(response: Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    reason = body.get("errorMessage") or body.get("error")
    return str(reason)[:200] if reason else None


def converge_mappers(
    api: RealmAdmin, path: str, desired: list[dict[str, Any]]
) -> tuple[list[str], list[Any]]:
    """Creates each mapper of ``desired`` missing at ``path`` and rewrites each that differs (matched
    by name). Returns the names it wrote, and the mappers present that ``desired`` does not name."""
    existing = {mapper["name"]: mapper for mapper in api.get(path)}
    written = []
    for mapper in desired:
        current = existing.pop(mapper["name"], None)
        if current is None:
            api.post(path, mapper)
        elif differs(current, mapper):
            api.put(f"{path}/{current['id']}", {**mapper, "id": current["id"]})
        else:
            continue
        written.append(mapper["name"])
    return written, list(existing.values())
