"""Walks Keycloak's browser login over plain HTTP requests: no browser, no JavaScript.

A test starts an authorization request (code flow with PKCE), hands its URL to :func:`login_via_form`
and gets back where Keycloak finally redirects the browser: the client's redirect URI with ``code``
and ``state``. That redirect is captured, not followed, so the client (the api) need not be running.
On the way the walker fills in whichever of Keycloak's pages comes up: the login form, the OTP form,
the TOTP enrolment page (``CONFIGURE_TOTP``, read in its "Unable to scan?" text mode) and the
password-update page (``UPDATE_PASSWORD``, for a temporary password). Any other page, or a page that
comes back with an error, ends the walk with :class:`LoginFailed` carrying Keycloak's message.

Brokered sign-ins (a realm sending the user to an identity provider) are walked the same way, as long
as the provider is served from the same origin (another realm of the same Keycloak): its redirects are
followed, its login form filled in, and SAML's POST-binding pages — a single form of hidden
``SAMLRequest``/``SAMLResponse`` (and ``RelayState``) fields that a browser's JavaScript would submit at
once — are posted to their ``action`` as they are.

TOTP codes: Keycloak accepts each code once (``otpPolicyCodeReusable`` is false), so the walker
remembers the time steps it already used per secret and takes the next step's code instead (the
realm's look-ahead window of one step accepts it), waiting for the clock only when that is used too.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pyotp

TOTP_PERIOD_S = 30

LOGIN_FORM = "kc-form-login"
OTP_FORM = "kc-otp-login-form"
TOTP_ENROL_FORM = "kc-totp-settings-form"
UPDATE_PASSWORD_FORM = "kc-passwd-update-form"
_MAX_STEPS = 20
SAML_MESSAGES = frozenset({"SAMLRequest", "SAMLResponse"})


class LoginFailed(Exception):
    """Keycloak did not let the walk finish; ``message`` is what its page said, ``page`` the form seen."""

    def __init__(self, message: str, *, page: str | None = None) -> None:
        super().__init__(f"{message} (page: {page})" if page else message)
        self.message = message
        self.page = page


@dataclass(frozen=True)
class LoginResult:
    """The end of a walk: Keycloak's redirect to the client, and a TOTP secret if one was enrolled."""

    location: str  # the full redirect URI Keycloak sent the browser to
    totp_secret: str | None  # base32, as an authenticator app would store it; None if none was enrolled

    @property
    def params(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(urlsplit(self.location).query).items()}

    @property
    def code(self) -> str:
        return self.params["code"]

    @property
    def state(self) -> str:
        return self.params["state"]


def login_via_form(
    session: httpx.Client,
    auth_url: str,
    username: str,
    password: str,
    *,
    totp_secret: str | None = None,
    enrol_totp: bool = False,
    new_password: str | None = None,
    totp_label: str = "enclave-test",
) -> LoginResult:
    """Logs ``username`` in through Keycloak's pages, starting from the authorization URL.

    ``session`` must verify TLS against the installation's CA and not follow redirects itself
    (``follow_redirects=False``, httpx's default); it carries Keycloak's cookies, so a second call
    with the same session is an SSO login (no form at all). ``totp_secret`` answers the OTP form;
    ``enrol_totp`` allows the TOTP enrolment page (without it, that page is a :class:`LoginFailed`);
    ``new_password`` answers the password-update page a temporary password leads to.
    """
    keycloak = _origin(auth_url)
    response = session.get(auth_url)
    secret = totp_secret
    enrolled: str | None = None
    answered: set[str] = set()
    for _ in range(_MAX_STEPS):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["Location"])
            if _origin(location) != keycloak:
                return LoginResult(location=location, totp_secret=enrolled)
            response = session.get(location)
            continue
        page = _Page.parse(response.text)
        saml = page.saml_post()
        if saml is not None:  # what the page's script would do in a browser
            response = session.post(urljoin(str(response.url), saml.action), data=saml.hidden)
            continue
        form = page.keycloak_form()
        if form is None:
            raise LoginFailed(page.error() or f"unexpected answer {response.status_code}")
        if form.id in answered:  # the same form again: Keycloak refused what was sent
            raise LoginFailed(page.error() or "the form came back", page=form.id)
        answered.add(form.id)
        if form.id == LOGIN_FORM:
            fields = {"username": username, "password": password}
        elif form.id == OTP_FORM:
            if secret is None:
                raise LoginFailed("Keycloak asks for an OTP and no TOTP secret was given", page=form.id)
            fields = {"otp": next_totp(secret)}
        elif form.id == TOTP_ENROL_FORM:
            if not enrol_totp:
                raise LoginFailed("Keycloak asks to enrol TOTP and enrol_totp is False", page=form.id)
            if page.text_of("kc-totp-secret-key") is None:
                # The QR-code mode shows no key: ask for the "Unable to scan?" text mode.
                response = session.get(_with_query(str(response.url), mode="manual"))
                page = _Page.parse(response.text)
                form = page.form(TOTP_ENROL_FORM)
            shown = page.text_of("kc-totp-secret-key")
            if shown is None or form is None:
                raise LoginFailed("the TOTP enrolment page shows no secret", page=TOTP_ENROL_FORM)
            secret = enrolled = re.sub(r"\s+", "", shown)
            fields = {"totp": next_totp(secret), "userLabel": totp_label}
        elif form.id == UPDATE_PASSWORD_FORM:
            if new_password is None:
                raise LoginFailed("Keycloak asks for a new password and none was given", page=form.id)
            fields = {"password-new": new_password, "password-confirm": new_password}
        else:
            raise LoginFailed(f"no answer for Keycloak's form {form.id!r}", page=form.id)
        response = session.post(urljoin(str(response.url), form.action), data={**form.hidden, **fields})
    raise LoginFailed(f"no redirect to the client after {_MAX_STEPS} pages")


# -- TOTP codes, each used once -------------------------------------------------------------------

_used_steps: dict[str, set[int]] = {}
_used_lock = threading.Lock()


def next_totp(secret: str) -> str:
    """A code for ``secret`` that this process has not sent yet: this time step's, else the next one's,
    else it waits for the clock to reach a step whose code is unused and acceptable."""
    with _used_lock:
        used = _used_steps.setdefault(secret, set())
        step = int(time.time()) // TOTP_PERIOD_S
        while step in used:
            step += 1
        if step > int(time.time()) // TOTP_PERIOD_S + 1:  # beyond the look-ahead window: wait
            time.sleep((step - 1) * TOTP_PERIOD_S - time.time() + 0.5)
        used.add(step)
        return pyotp.TOTP(secret).generate_otp(step)


# -- Keycloak's HTML ------------------------------------------------------------------------------


@dataclass
class _Form:
    id: str
    action: str
    hidden: dict[str, str] = field(default_factory=dict)


_KNOWN_FORMS = (LOGIN_FORM, OTP_FORM, TOTP_ENROL_FORM, UPDATE_PASSWORD_FORM)


class _Page(HTMLParser):
    """The forms of a Keycloak page, the text of elements with an id, and its error messages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self.texts: dict[str, str] = {}
        self.errors: list[str] = []
        self._open: list[tuple[str, str | None, bool]] = []  # (tag, id, is an error element)

    @classmethod
    def parse(cls, html: str) -> _Page:
        page = cls()
        page.feed(html)
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(_Form(attributes.get("id", ""), attributes.get("action", "")))
        elif (
            tag == "input"
            and self.forms
            and attributes.get("type", "").lower() == "hidden"
            and "name" in attributes
        ):
            self.forms[-1].hidden[attributes["name"]] = attributes.get("value", "")
        if tag in {"input", "br", "img", "meta", "link"}:  # void elements never close
            return
        element_id = attributes.get("id")
        classes = attributes.get("class", "")
        is_error = (element_id or "").startswith("input-error") or any(
            name in classes for name in ("alert__title", "kc-feedback-text", "alert-error")
        )
        self._open.append((tag, element_id, is_error))
        if element_id:
            self.texts.setdefault(element_id, "")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        for _, element_id, is_error in self._open:
            if element_id:
                self.texts[element_id] += data
            if is_error and data.strip():
                self.errors.append(data.strip())

    def form(self, form_id: str) -> _Form | None:
        return next((form for form in self.forms if form.id == form_id), None)

    def saml_post(self) -> _Form | None:
        """The page's form if it is a SAML POST-binding page: its only form, carrying a SAML message."""
        if len(self.forms) == 1 and SAML_MESSAGES & self.forms[0].hidden.keys():
            return self.forms[0]
        return None

    def keycloak_form(self) -> _Form | None:
        return next((form for form in self.forms if form.id in _KNOWN_FORMS), None) or next(
            (form for form in self.forms if form.id.startswith("kc-")), None
        )

    def text_of(self, element_id: str) -> str | None:
        text = self.texts.get(element_id, "").strip()
        return text or None

    def error(self) -> str | None:
        # Keycloak's error page ("We are sorry...") says what went wrong in ``kc-error-message``.
        shown = " ".join(dict.fromkeys(self.errors)) or " ".join(
            self.texts.get("kc-error-message", "").split()
        )
        return shown or None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _with_query(url: str, **params: str) -> str:
    return str(httpx.URL(url).copy_merge_params(params))
