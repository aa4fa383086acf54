"""``/auth``: sign-in, sign-out and the session of the web app (backend-for-frontend).

These routes establish who the caller is, so they are not behind the authorization guard; each does
exactly one thing and trusts nothing it did not verify itself (state, PKCE, token signatures). One
address may start only so many sign-ins, and fail only so many (``auth_limits``). A completed sign-in
always gets a new session id, and a session cookie the browser brought to it is ended, never adopted.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect

from enclave.audit.actions import AuditAction
from enclave.audit.events import Detail
from enclave.domain.errors import DomainError, Forbidden, Unauthenticated
from enclave.identity.auth_limits import CALLBACK_FAILURES, LOGIN_STARTS, count, refuse_if_over
from enclave.identity.login import LoginService
from enclave.identity.session_auth import COOKIE
from enclave.web.audit import record_own_transaction

Slug = Annotated[
    str, QueryParameter(name="org", min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$")
]
NextPath = Annotated[str | None, QueryParameter(name="next", max_length=2000)]
IdpAlias = Annotated[str | None, QueryParameter(name="idp", max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class SessionInfo(msgspec.Struct):
    organization_id: str
    #: The organization's slug (its realm): where the web app sends the person to sign in again.
    organization_slug: str
    user_id: str
    csrf_token: str
    second_factor: bool
    #: When the person last typed their credentials (Unix seconds): the web app knows from it when a
    #: step-up action will ask for a fresh sign-in.
    signed_in_at: float


class BackchannelLogout(msgspec.Struct):
    logout_token: Annotated[str, msgspec.Meta(min_length=10, max_length=20_000)]


def _service(request: Request[Any, Any, Any]) -> LoginService:
    service: LoginService = request.app.state.login
    return service


def _cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE, value=value, path="/", secure=True, httponly=True, samesite="lax", max_age=max_age
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]  # noqa: RUF012
    include_in_schema = False

    @get("/login", operation_id="auth_login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        org: Slug,
        next_path: NextPath = None,
        idp: IdpAlias = None,
        reauthenticate: Annotated[bool, QueryParameter()] = False,
    ) -> Redirect:
        """``reauthenticate``: Keycloak asks for every factor again (the step-up of a sensitive action)."""
        await refuse_if_over(request, LOGIN_STARTS)
        await count(request, LOGIN_STARTS)
        begun = await _service(request).begin(org, next_path, reauthenticate=reauthenticate, idp=idp)
        return Redirect(begun, status_code=303)

    @get("/callback", operation_id="auth_callback")
    async def callback(
        self,
        request: Request[Any, Any, Any],
        oauth_state: Annotated[str, QueryParameter(name="state", max_length=200)],
        code: Annotated[str | None, QueryParameter(max_length=4000)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Redirect:
        await refuse_if_over(request, CALLBACK_FAILURES)
        if error or not code:
            await count(request, CALLBACK_FAILURES)
            raise Unauthenticated("Sign-in was cancelled or refused.")

        async def record_login(organization_id: uuid.UUID, user_id: uuid.UUID, amr: list[str]) -> None:
            details: dict[str, Detail] = {"amr": " ".join(sorted(amr)), "second_factor": "otp" in amr}
            await record_own_transaction(
                request, organization_id, user_id, AuditAction.AUTH_SESSION_LOGIN, details
            )

        try:
            completed = await _service(request).complete(oauth_state, code, record_login)
        except DomainError:
            await count(request, CALLBACK_FAILURES)
            raise
        brought = request.cookies.get(COOKIE)
        if brought:  # whatever session the browser had before (or was handed) ends here
            await request.app.state.sessions.delete(brought)
        if completed.session_id is None:
            return Redirect(completed.redirect or "/", status_code=303)
        timeout = request.app.state.settings.session.absolute_timeout_s
        return Redirect(
            completed.next_path, status_code=303, cookies=[_cookie(request, completed.session_id, timeout)]
        )

    @get("/session", operation_id="auth_session", cache=False)
    async def session(self, request: Request[Any, Any, Any]) -> SessionInfo:
        session_id = request.cookies.get(COOKIE)
        session = await request.app.state.sessions.get(session_id) if session_id else None
        if session is None:
            raise Unauthenticated("No session; sign in.")
        return SessionInfo(
            str(session.organization_id),
            session.realm,
            str(session.user_id),
            session.csrf_token,
            session.second_factor,
            session.auth_time,
        )

    @post("/logout", operation_id="auth_logout", status_code=204)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[None]:
        session_id = request.cookies.get(COOKIE)
        session = await request.app.state.sessions.get(session_id) if session_id else None
        if session_id and session is not None:
            claim = request.scope.get("state", {}).get("claim")
            if claim is None or not claim.csrf_ok:
                raise Forbidden("Send the X-CSRF-Token header of your session to sign out.")
            await record_own_transaction(
                request, session.organization_id, session.user_id, AuditAction.AUTH_SESSION_LOGOUT
            )
            await _service(request).logout(session_id, session)
        return Response(None, status_code=204, cookies=[_cookie(request, "", 0)])

    @post("/backchannel-logout/{realm:str}", operation_id="auth_backchannel_logout", status_code=200)
    async def backchannel_logout(
        self,
        request: Request[Any, Any, Any],
        realm: Annotated[str, PathParameter(max_length=63)],
        data: Annotated[BackchannelLogout, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[None]:
        await _service(request).backchannel_logout(realm, data.logout_token)
        return Response(None, status_code=200, headers={"Cache-Control": "no-store"})
