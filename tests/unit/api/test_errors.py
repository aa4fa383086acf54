"""Errors become application/problem+json; unexpected ones reveal nothing but the request id."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import pytest
import redis.exceptions
from keycloak.exceptions import KeycloakConnectionError
from litestar import Litestar, get, post
from litestar.params import FromPath, JSONBody
from litestar.testing import TestClient

from enclave.api.errors import EXCEPTION_HANDLERS
from enclave.api.request_id import request_id_middleware


@get("/boom", sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("database password is hunter2")


#: What asyncpg raises for statements it sends itself (``enclave.db.raw``), by name.
RAW_ERRORS = {
    "too-long": asyncpg.StringDataRightTruncationError("value too long for type character varying(128)"),
    "duplicate": asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
    "refused": asyncpg.InsufficientPrivilegeError("permission denied for table audit_outbox"),
    "fault": asyncpg.DiskFullError("could not extend file"),
    "deadlock": asyncpg.DeadlockDetectedError("deadlock detected"),
    "serialization": asyncpg.SerializationError("could not serialize access due to concurrent update"),
    "closed": asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
}


@get("/raw/{kind:str}", sync_to_thread=False)
def raw_error(kind: FromPath[str]) -> None:
    raise RAW_ERRORS[kind]


#: What a component that died under a request leaves its client raising, by component.
UNREACHABLE = {
    "keycloak": KeycloakConnectionError("Can't connect to server (https://keycloak.internal:8443/realms/x)"),
    "redis": redis.exceptions.ConnectionError("Error 104 while writing to socket. Connection reset by peer."),
    "redis-timeout": redis.exceptions.TimeoutError("Timeout reading from redis.internal:6379"),
    "postgres-mid-protocol": asyncpg.InternalClientError("cannot switch to state 12; another operation"),
}


@get("/down/{component:str}", sync_to_thread=False)
def component_down(component: FromPath[str]) -> None:
    raise UNREACHABLE[component]


@post("/items", sync_to_thread=False)
def create_item(data: JSONBody[dict[str, int]]) -> dict[str, int]:
    return data


def _client() -> TestClient[Litestar]:
    app = Litestar(
        [boom, create_item, raw_error, component_down],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[request_id_middleware],
    )  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


class TestProblemDetails:
    def test_unexpected_error_is_a_generic_500(self) -> None:
        with _client() as client:
            response = client.get("/boom", headers={"X-Request-ID": "req-abcdef123"})
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["request_id"] == "req-abcdef123"
        assert "hunter2" not in response.text
        assert "Traceback" not in response.text

    @pytest.mark.parametrize("component", sorted(UNREACHABLE))
    def test_a_component_unreachable_is_a_503_that_names_no_address(self, component: str) -> None:
        with _client() as client:
            response = client.get(f"/down/{component}")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert int(response.headers["Retry-After"]) > 0
        assert ".internal" not in response.text

    def test_validation_error_is_a_400_listing_fields_without_values(self) -> None:
        with _client() as client:
            response = client.post("/items", json={"count": "secret-value-not-an-int"})
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "secret-value-not-an-int" not in response.text
        assert response.json()["errors"]

    def test_not_found_is_a_problem(self) -> None:
        with _client() as client:
            response = client.get("/nope")
        assert response.status_code == 404
        assert response.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "Not Found",
        }

    @pytest.mark.parametrize(
        ("kind", "status"),
        [
            ("too-long", 400),
            ("duplicate", 409),
            ("refused", 403),
            ("fault", 503),
            ("closed", 503),
            # A concurrent change that locked the same rows won: nothing was written, retry.
            ("deadlock", 409),
            ("serialization", 409),
        ],
    )
    def test_errors_of_raw_statements_map_as_the_orms_do(self, kind: str, status: int) -> None:
        with _client() as client:
            response = client.get(f"/raw/{kind}")
        assert response.status_code == status
        if status == 503:
            assert response.headers["Retry-After"] == "5"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert str(RAW_ERRORS[kind]) not in response.text
