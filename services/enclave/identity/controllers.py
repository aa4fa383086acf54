"""``/auth``: sign-in, sign-out and the session of the web app (backend-for-frontend).

These routes establish who the caller is, so they are not behind the authorization guard; each does
exactly one thing and trusts nothing it did not verify itself (state, PKCE, token signatures).
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
from enclave.domain.errors import Forbidden, Unauthenticated
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
    user_id: str
    csrf_token: str
    second_factor: bool


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
        self, request: Request[Any, Any, Any], org: Slug, next_path: NextPath = None, idp: IdpAlias = None
    ) -> Redirect:
        return Redirect(await _service(request).begin(org, next_path, idp=idp), status_code=303)

    @get("/callback", operation_id="auth_callback")
    async def callback(
        self,
        request: Request[Any, Any, Any],
        oauth_state: Annotated[str, QueryParameter(name="state", max_length=200)],
        code: Annotated[str | None, QueryParameter(max_length=4000)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Redirect:
        if error or not code:
            raise Unauthenticated("Sign-in was cancelled or refused.")

        async def record_login(organization_id: uuid.UUID, user_id: uuid.UUID, amr: list[str]) -> None:
            details: dict[str, Detail] = {"amr": " ".join(sorted(amr)), "second_factor": "otp" in amr}
            await record_own_transaction(
                request, organization_id, user_id, AuditAction.AUTH_SESSION_LOGIN, details
            )

        completed = await _service(request).complete(oauth_state, code, record_login)
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
            str(session.organization_id), str(session.user_id), session.csrf_token, session.second_factor
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
