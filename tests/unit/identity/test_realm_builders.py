"""The pure builders of a realm's authentication: the AMR config each browser-flow authenticator gets,
and the required actions MFA enrolment gives (or takes back from) a user."""

from __future__ import annotations

from typing import Any

import pytest

from enclave.identity.authentication_flows import (
    AMR_MAX_AGE_S,
    AMR_REFERENCES,
    CONFIGURE_TOTP,
    amr_config_alias,
    build_amr_config,
    mfa_enrolment_actions,
)
from enclave.identity.realm_settings import SSO_SESSION_MAX_S


class TestAmrConfig:
    @pytest.mark.parametrize("reference", sorted(set(AMR_REFERENCES.values())))
    def test_the_config_adds_the_reference_for_the_sso_sessions_lifetime(self, reference: str) -> None:
        config = build_amr_config(reference)

        assert config["config"] == {
            "default.reference.value": reference,
            "default.reference.maxAge": str(SSO_SESSION_MAX_S),
        }
        assert AMR_MAX_AGE_S == SSO_SESSION_MAX_S

    def test_the_alias_spells_the_values_keycloak_masks(self) -> None:
        # Keycloak masks a config's values on reads: the alias is what tells an outdated config apart.
        config = build_amr_config("otp")

        assert config["alias"] == amr_config_alias("otp") == f"enclave-amr-otp-maxage-{SSO_SESSION_MAX_S}"
        assert build_amr_config("pwd")["alias"] != config["alias"]


def user(**fields: Any) -> dict[str, Any]:
    return {"id": "u-1", "username": "ada@example.org", **fields}


class TestMfaEnrolmentActions:
    def test_requiring_mfa_adds_the_enrolment_after_the_users_other_actions(self) -> None:
        actions = mfa_enrolment_actions(user(requiredActions=["UPDATE_PASSWORD"]), required=True)

        assert actions == ["UPDATE_PASSWORD", CONFIGURE_TOTP]

    def test_a_user_without_required_actions_gets_the_enrolment(self) -> None:
        assert mfa_enrolment_actions(user(), required=True) == [CONFIGURE_TOTP]
        assert mfa_enrolment_actions(user(requiredActions=None), required=True) == [CONFIGURE_TOTP]

    def test_turning_mfa_off_takes_back_an_enrolment_never_made(self) -> None:
        enrolling = user(requiredActions=[CONFIGURE_TOTP, "UPDATE_PASSWORD"])

        assert mfa_enrolment_actions(enrolling, required=False) == ["UPDATE_PASSWORD"]

    def test_the_users_own_list_is_left_untouched(self) -> None:
        enrolling = user(requiredActions=["UPDATE_PASSWORD"])

        mfa_enrolment_actions(enrolling, required=True)

        assert enrolling["requiredActions"] == ["UPDATE_PASSWORD"]

    @pytest.mark.parametrize(
        ("fields", "required"),
        [
            ({"requiredActions": [CONFIGURE_TOTP]}, True),  # already enrolling
            ({"requiredActions": ["UPDATE_PASSWORD"]}, False),  # nothing to take back
            ({}, False),
        ],
    )
    def test_a_user_already_so_needs_no_change(self, fields: dict[str, Any], required: bool) -> None:
        assert mfa_enrolment_actions(user(**fields), required=required) is None

    @pytest.mark.parametrize("required", [True, False])
    def test_a_user_with_otp_keeps_it_either_way(self, required: bool) -> None:
        has_otp = user(totp=True, requiredActions=[CONFIGURE_TOTP] if not required else [])

        assert mfa_enrolment_actions(has_otp, required=required) is None

    @pytest.mark.parametrize("required", [True, False])
    def test_a_service_accounts_user_is_never_touched(self, required: bool) -> None:
        robot = user(serviceAccountClientLink="enclave-audit", requiredActions=[])

        assert mfa_enrolment_actions(robot, required=required) is None
