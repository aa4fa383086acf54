"""Sign-in and sign-out of the web app, done by the api (backend-for-frontend).

Owns the authorization-code + PKCE flow against the organization's realm, the binding of a Keycloak
identity to an Enclave member (by issuer and subject; on first sign-in by verified e-mail to a member
an admin created or invited — nobody else gets in), the MFA gate, and both ways a session ends
(logout here, which also ends the Keycloak session; back-channel logout from Keycloak).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakError, KeycloakPostError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enclave.db.models import OrgMembership, User
from enclave.db.models.base import new_id
from enclave.db.repositories.members import MemberRepository
from enclave.db.repositories.organizations import DirectoryRepository, OrganizationRepository
from enclave.db.session import bind_tenant
from enclave.domain.errors import Forbidden, InvalidInput, NotFound, Unauthenticated, Unavailable
from enclave.domain.roles import OrgRole
from enclave.identity.oidc import RealmClients
from enclave.identity.sessions import BrowserSession, PendingLogins, SessionStore

CALLBACK_PATH = "/auth/callback"


#: Runs once a sign-in is known good, before its session exists (the audit record of the sign-in).
BeforeSession = Callable[[uuid.UUID, uuid.UUID, list[str]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Completed:
    """Either a session (``session_id``, then go to ``next_path``) or, when a second factor is
    still missing, where to send the browser to sign in again (``redirect``)."""

    session_id: str | None
    next_path: str
    redirect: str | None = None


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def safe_next(path: str | None) -> str:
    """Only a local path: an open redirect would hand the session to someone else's page."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


class LoginService:
    def __init__(
        self,
        realms: RealmClients,
        pending: PendingLogins,
        sessions: SessionStore,
        session_factory: async_sessionmaker[AsyncSession],
        public_url: str,
    ) -> None:
        self.realms = realms
        self.pending = pending
        self.sessions = sessions
        self.session_factory = session_factory
        self.redirect_uri = public_url + CALLBACK_PATH

    async def organization_of(self, realm: str) -> uuid.UUID:
        async with self.session_factory() as db:
            org = await DirectoryRepository(db).organization_of(realm)
        if org is None:
            raise NotFound("No such organization.")
        return org

    async def begin(
        self, realm: str, next_path: str | None, *, reauthenticate: bool = False, idp: str | None = None
    ) -> str:
        """Where to send the browser: the realm's login page, with a fresh state, nonce and PKCE challenge.
        With ``reauthenticate`` Keycloak asks for every factor again however fresh its own session
        (``prompt=login``, ``max_age=0``): the step-up before a sensitive action, or the way to a
        second factor right after enrolling one."""
        await self.organization_of(realm)
        verifier, challenge = _pkce_pair()
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        pending = PendingLogins.Pending(realm, verifier, nonce, safe_next(next_path), reauthenticate)
        await self.pending.put(state, pending)
        client = await self.realms.client(realm)
        url = client.auth_url(
            redirect_uri=self.redirect_uri,
            scope="openid email profile",
            state=state,
            nonce=nonce,
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        url = str(url)
        if idp:  # straight to the organization's identity provider (SSO), skipping Keycloak's form
            url += f"&kc_idp_hint={quote(idp)}"
        return f"{url}&prompt=login&max_age=0" if reauthenticate else url

    async def complete(self, state: str, code: str, before_session: BeforeSession | None = None) -> Completed:
        pending = await self.pending.take(state)
        if pending is None:
            raise InvalidInput("This sign-in link has expired or was already used; start again.")
        client = await self.realms.client(pending.realm)
        tokens: dict[str, Any] = await client.a_token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=self.redirect_uri,
            code_verifier=pending.verifier,
        )
        claims = await self.realms.verify(pending.realm, tokens["id_token"], nonce=pending.nonce)
        org_id = await self.organization_of(pending.realm)
        user_id, mfa_required = await self._member_for(org_id, claims, self.realms.issuer(pending.realm))
        amr = [str(value) for value in claims.get("amr", [])]
        if mfa_required and "otp" not in amr:
            # Keycloak reports no second factor on the login that enrolled one (a required action,
            # not a step of the flow); one fresh sign-in collects it. A second miss is refused.
            if pending.reauthentication:
                raise Unauthenticated("This organization requires a second factor; sign in again with it.")
            return Completed(
                None,
                pending.next_path,
                await self.begin(pending.realm, pending.next_path, reauthenticate=True),
            )
        if before_session is not None:  # e.g. the audit record: no session without it
            await before_session(org_id, user_id, amr)
        session = BrowserSession(
            organization_id=org_id,
            user_id=user_id,
            realm=pending.realm,
            keycloak_sid=str(claims.get("sid", "")),
            refresh_token=tokens.get("refresh_token", ""),
            id_token=tokens["id_token"],
            amr=amr,
            auth_time=_auth_time(claims),
        )
        return Completed(await self.sessions.create(session), pending.next_path)

    async def _member_for(
        self, org_id: uuid.UUID, claims: dict[str, Any], issuer: str
    ) -> tuple[uuid.UUID, bool]:
        async with self.session_factory() as db, db.begin():
            await bind_tenant(db, org_id)
            users = MemberRepository(db, org_id)
            user = await users.user_by_subject(issuer, str(claims["sub"]))
            if user is None and claims.get("email_verified") and claims.get("email"):
                # First sign-in: the member an admin created (or invited) with this e-mail address.
                email = str(claims["email"]).lower()
                user = await users.unbound_user_by_email(email)
                if user is not None:
                    user.issuer, user.subject = issuer, str(claims["sub"])
            org = await OrganizationRepository(db, org_id).get()
            if org is None:
                raise NotFound("No such organization.")
            settings = org.settings or {}
            if user is None:
                user = await self._join_by_domain(
                    db, org_id, claims, issuer, settings.get("domain_roles") or {}
                )
            if user is None or user.disabled:
                raise Forbidden(
                    "There is no active Enclave account for this sign-in; ask your administrator."
                )
            return user.id, bool(settings.get("mfa_required", False))

    @staticmethod
    async def _join_by_domain(
        db: AsyncSession, org_id: uuid.UUID, claims: dict[str, Any], issuer: str, domain_roles: dict[str, str]
    ) -> User | None:
        """A first sign-in from a mapped e-mail domain (a verified address, as the organization's
        identity provider asserts it) joins the organization with that domain's role."""
        email = str(claims.get("email") or "").lower()
        role = domain_roles.get(email.rpartition("@")[2]) if claims.get("email_verified") else None
        if not email or role is None:
            return None
        name = str(claims.get("name") or claims.get("preferred_username") or email)[:200]
        user = User(
            id=new_id(),
            organization_id=org_id,
            issuer=issuer,
            subject=str(claims["sub"]),
            email=email,
            display_name=name,
        )
        db.add(user)
        await db.flush()
        db.add(OrgMembership(id=new_id(), organization_id=org_id, user_id=user.id, role=OrgRole(role)))
        await db.flush()
        return user

    async def account_still_active(self, session: BrowserSession) -> BrowserSession | None:
        """Asks Keycloak, by refreshing the session's token, whether its account and Keycloak session
        are still alive: the session with the new token if so; None if Keycloak refuses (the account
        was disabled or deleted, or its session ended). Raises :class:`Unavailable` when Keycloak
        cannot be asked."""
        if not session.refresh_token:
            return None
        client = await self.realms.client(session.realm)
        try:
            tokens: dict[str, Any] = await client.a_refresh_token(session.refresh_token)
        except (KeycloakPostError, KeycloakAuthenticationError) as error:
            if error.response_code in {400, 401}:  # invalid_grant: disabled, deleted or logged out
                return None
            raise Unavailable("Keycloak could not confirm the session.") from error
        except KeycloakError as error:
            raise Unavailable("Keycloak could not confirm the session.") from error
        refresh = str(tokens.get("refresh_token") or session.refresh_token)
        return msgspec.structs.replace(session, refresh_token=refresh, checked_at=time.time())

    async def logout(self, session_id: str, session: BrowserSession) -> None:
        """Ends our session and Keycloak's, so the next sign-in asks for credentials again."""
        await self.sessions.delete(session_id)
        if session.refresh_token:
            client = await self.realms.client(session.realm)
            await client.a_logout(session.refresh_token)

    async def backchannel_logout(self, realm: str, logout_token: str) -> int:
        """Keycloak tells us a session ended there: every session it started here ends too."""
        claims = await self.realms.verify(realm, logout_token)
        events = claims.get("events") or {}
        if "http://schemas.openid.net/event/backchannel-logout" not in events or "nonce" in claims:
            raise InvalidInput("Not a back-channel logout token.")
        sid = claims.get("sid")
        if not sid:
            raise InvalidInput("The logout token names no session.")
        return await self.sessions.delete_by_keycloak_sid(str(sid))


def _auth_time(claims: dict[str, Any]) -> float:
    """When the person typed their credentials; the time of this sign-in when Keycloak does not say."""
    value = claims.get("auth_time")
    return float(value) if isinstance(value, int | float) and value > 0 else time.time()


def login_url(public_url: str, realm: str, next_path: str = "/") -> str:
    return f"{public_url}/auth/login?org={quote(realm)}&next={quote(next_path)}"
