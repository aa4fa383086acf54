"""Readiness probe failure reasons come from a fixed vocabulary, never from the error's text."""

from __future__ import annotations

import ssl

import httpx
import pytest

from enclave.api.health.probes import ProbeFailed, _vault_state, describe_failure


class TestDescribeFailure:
    @pytest.mark.parametrize(
        ("error", "reason"),
        [
            (TimeoutError(), "timed out"),
            (
                ssl.SSLCertVerificationError("certificate verify failed for secret-host"),
                "TLS certificate verification failed",
            ),
            (ssl.SSLError("wrong version number"), "TLS handshake failed"),
            (ConnectionRefusedError("password=hunter2"), "connection refused or unreachable"),
            (httpx.ConnectError("boom"), "connection refused or unreachable"),
            (OSError("disk"), "connection failed"),
            (ValueError("token=abc"), "unexpected error"),
            (ProbeFailed("sealed"), "sealed"),
        ],
    )
    def test_reason(self, error: BaseException, reason: str) -> None:
        assert describe_failure(error) == reason


class TestVaultState:
    @pytest.mark.parametrize(
        ("status", "problem"),
        [(200, None), (429, None), (501, "not initialised"), (503, "sealed"), (500, "answered HTTP 500")],
    )
    def test_status_codes(self, status: int, problem: str | None) -> None:
        assert _vault_state(httpx.Response(status)) == problem
