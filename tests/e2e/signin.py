"""The sign-in a person goes through in the browser: the app asks for the organization, Keycloak's
pages ask for the password (and, where the organization requires one, enrol and ask for a second
factor), and the app opens."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Page, expect

from tests.integration.identity.signin import PASSWORD, Person


def sign_in(page: Page, base: str, slug: str, who: Person, *, enrol_totp: bool = False) -> None:
    page.goto(f"{base}/app/")
    page.get_by_label("Organization").fill(slug)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label(re.compile("Username or email", re.I)).fill(who.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    if enrol_totp:
        page.get_by_role("link", name=re.compile("Unable to scan", re.I)).click()
        secret = page.locator("#kc-totp-secret-key").inner_text().replace(" ", "")
        totp = pyotp.TOTP(secret)
        # Keycloak's TOTP page labels its code field for another element's id (its theme's defect,
        # not ours), so the field has no accessible name: it is found by the id Keycloak gives it.
        page.locator("#totp").fill(totp.now())
        page.get_by_role("button", name=re.compile("Submit", re.I)).click()
        # The api asks Keycloak again for a sign-in with the second factor itself: the password,
        # then a code of the next time step (Keycloak accepts each code once).
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
        page.locator("#otp").fill(totp.at(time.time() + totp.interval))
        page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible(timeout=30_000)
