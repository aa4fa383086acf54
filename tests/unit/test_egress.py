"""The egress guard's decisions: which connections and name lookups a process may make (pure, and the
guard's audit hook called directly, never installed: an installed hook would outlive the test)."""

from __future__ import annotations

import asyncio
import contextvars
import socket
from pathlib import Path

import pytest
import structlog.testing

from enclave.egress import (
    EgressGuard,
    EgressPolicy,
    EgressRefused,
    Endpoint,
    Refusal,
    RefusedEndpoint,
    endpoint_of_url,
    kube_endpoints,
    normal_host,
    refused_endpoints,
    witness,
)

POLICY = EgressPolicy.of(
    [
        Endpoint("db.internal", 5432),
        Endpoint("Vault.Internal.", 8200),
        Endpoint("10.0.0.9", 9000),
        Endpoint("localhost", 8443),
    ]
)
ADDRESSES = {"db.internal": frozenset({"10.1.1.1"}), "vault.internal": frozenset({"10.1.1.2", "fd00::2"})}


class TestEndpointOfUrl:
    @pytest.mark.parametrize(
        ("url", "endpoint"),
        [
            ("https://keycloak.internal:8443/realms", Endpoint("keycloak.internal", 8443)),
            ("https://S3.Example.ORG", Endpoint("s3.example.org", 443)),
            ("rediss://redis:6380/0", Endpoint("redis", 6380)),
            ("rediss://redis/0", Endpoint("redis", 6379)),
            ("https://[fd00::1]:9000", Endpoint("fd00::1", 9000)),
        ],
    )
    def test_host_and_port(self, url: str, endpoint: Endpoint) -> None:
        assert endpoint_of_url(url) == endpoint

    def test_no_host_names_no_endpoint(self) -> None:
        with pytest.raises(ValueError, match="without a host"):
            endpoint_of_url("https:///path")


class TestNormalHost:
    @pytest.mark.parametrize(
        ("host", "normal"),
        [
            ("DB.Internal.", "db.internal"),
            ("::ffff:127.0.0.1", "127.0.0.1"),
            ("[::1]", "::1"),
            ("fe80::1%eth0", "fe80::1"),
            (b"db.internal", "db.internal"),
        ],
    )
    def test_canonical(self, host: str | bytes, normal: str) -> None:
        assert normal_host(host) == normal


class TestAllowsConnect:
    @pytest.mark.parametrize(
        ("host", "port"),
        [
            ("db.internal", 5432),
            ("10.1.1.1", 5432),
            ("fd00::2", 8200),
            ("10.1.1.2", 8200),
            ("VAULT.internal", 8200),
            ("10.0.0.9", 9000),
            ("::ffff:10.0.0.9", 9000),
            ("localhost", 8443),
        ],
    )
    def test_configured_endpoints_by_name_or_address(self, host: str, port: int) -> None:
        assert POLICY.allows_connect(host, port, ADDRESSES)

    @pytest.mark.parametrize(
        ("host", "port", "why"),
        [
            ("192.0.2.1", 443, "an address nobody configured"),
            ("db.internal", 22, "a configured host on another port"),
            ("10.1.1.1", 8200, "an allowed address on another endpoint's port"),
            ("10.0.0.9", 5432, "an allowed address on another endpoint's port"),
            ("evil.example", 5432, "an unconfigured name on an allowed port"),
            ("127.0.0.1", 8443, "loopback is allowed only as a configured name's address"),
            ("169.254.169.254", 80, "cloud metadata"),
        ],
    )
    def test_anything_else_refused(self, host: str, port: int, why: str) -> None:
        assert not POLICY.allows_connect(host, port, ADDRESSES), why

    def test_an_empty_policy_allows_nothing(self) -> None:
        assert not EgressPolicy.of([]).allows_connect("localhost", 8443, {})


class TestAllowsLookup:
    @pytest.mark.parametrize(
        "host", ["db.internal", "DB.INTERNAL.", "vault.internal", None, "192.0.2.1", b"::1"]
    )
    def test_configured_names_and_literals(self, host: str | bytes | None) -> None:
        assert POLICY.allows_lookup(host)

    @pytest.mark.parametrize(
        "host", ["evil.example", "db.internal.evil.example", "internal", b"exfil.example"]
    )
    def test_other_names_never_reach_a_resolver(self, host: str | bytes) -> None:
        assert not POLICY.allows_lookup(host)

    def test_reverse_lookup_only_of_allowed_addresses(self) -> None:
        assert POLICY.allows_reverse_lookup("10.1.1.1", ADDRESSES)
        assert not POLICY.allows_reverse_lookup("192.0.2.1", ADDRESSES)


class TestGuardHook:
    """The audit hook, called as CPython calls it, with a real (never connected) socket."""

    @pytest.fixture
    def guard(self) -> EgressGuard:
        return EgressGuard(POLICY, addresses=dict(ADDRESSES), _refreshed=float("inf"))

    def test_refused_connect_raises_counts_and_logs(self, guard: EgressGuard) -> None:
        with (
            structlog.testing.capture_logs() as logged,
            socket.socket() as sock,
            pytest.raises(EgressRefused, match=r"192\.0\.2\.1:443"),
        ):
            guard.audit("socket.connect", (sock, ("192.0.2.1", 443)))
        assert guard.refused == 1
        [event] = [e for e in logged if e["event"] == "security.egress_refused"]
        assert (event["host"], event["port"]) == ("192.0.2.1", 443)

    def test_refused_connect_is_a_connection_error_to_clients(self, guard: EgressGuard) -> None:
        with socket.socket() as sock, pytest.raises(OSError, match="not a configured endpoint"):
            guard.audit("socket.connect", (sock, ("192.0.2.1", 443)))

    def test_allowed_connect_passes(self, guard: EgressGuard) -> None:
        with socket.socket() as sock:
            guard.audit("socket.connect", (sock, ("10.1.1.1", 5432)))
        assert guard.refused == 0

    def test_udp_sendto_is_egress_too(self, guard: EgressGuard) -> None:
        with socket.socket(type=socket.SOCK_DGRAM) as sock, pytest.raises(EgressRefused):
            guard.audit("socket.sendto", (sock, ("192.0.2.53", 53)))

    def test_unix_sockets_are_local(self, guard: EgressGuard) -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            guard.audit("socket.connect", (sock, "/run/some.sock"))
        assert guard.refused == 0

    def test_lookup_of_an_unconfigured_name_refused(self, guard: EgressGuard) -> None:
        with pytest.raises(EgressRefused):
            guard.audit("socket.getaddrinfo", ("metadata.example", 80, 0, 1, 6))
        with pytest.raises(EgressRefused):
            guard.audit("socket.gethostbyname", ("metadata.example",))
        with pytest.raises(EgressRefused):
            guard.audit("socket.gethostbyaddr", ("192.0.2.1",))
        assert guard.refused == 3

    def test_other_events_ignored(self, guard: EgressGuard) -> None:
        guard.audit("open", ("/etc/hosts", "r", 0))
        guard.audit("socket.bind", (None, ("127.0.0.1", 8443)))
        assert guard.refused == 0


class TestWitness:
    """What a request or a job is told of the refusals made on its behalf, to audit them."""

    @pytest.fixture
    def guard(self) -> EgressGuard:
        return EgressGuard(POLICY, addresses=dict(ADDRESSES), _refreshed=float("inf"))

    @staticmethod
    def _connect(guard: EgressGuard, host: str, port: int) -> None:
        with socket.socket() as sock, pytest.raises(EgressRefused):
            guard.audit("socket.connect", (sock, (host, port)))

    def test_refusals_in_the_work_and_in_the_threads_it_hands_work_to_are_witnessed(
        self, guard: EgressGuard
    ) -> None:
        async def work() -> list[Refusal]:
            seen = witness()
            self._connect(guard, "192.0.2.1", 443)
            await asyncio.to_thread(self._connect, guard, "192.0.2.2", 80)
            with pytest.raises(EgressRefused):
                await asyncio.to_thread(guard.audit, "socket.getaddrinfo", ("exfil.example", 443, 0, 1, 6))
            return seen

        seen = contextvars.Context().run(asyncio.run, work())
        assert seen == [
            Refusal("192.0.2.1", 443, "socket.connect"),
            Refusal("192.0.2.2", 80, "socket.connect"),
            Refusal("exfil.example", None, "socket.getaddrinfo"),
        ]

    def test_work_that_opened_no_witness_collects_nothing_and_allowed_connects_are_not_refusals(
        self, guard: EgressGuard
    ) -> None:
        def other_work() -> None:
            self._connect(guard, "192.0.2.1", 443)

        def work() -> list[Refusal]:
            seen = witness()
            contextvars.Context().run(other_work)  # another request's context: not this one's
            with socket.socket() as sock:
                guard.audit("socket.connect", (sock, ("10.1.1.1", 5432)))
            return seen

        assert contextvars.Context().run(work) == []
        assert guard.refused == 1

    def test_refusals_are_grouped_by_endpoint_in_the_order_first_tried(self) -> None:
        refusals = [
            Refusal("192.0.2.1", 443, "socket.connect"),
            Refusal("exfil.example", None, "socket.getaddrinfo"),
            Refusal("192.0.2.1", 443, "uvloop.create_connection"),
        ]
        assert refused_endpoints(refusals) == [
            RefusedEndpoint("192.0.2.1:443", "socket.connect", 2),
            RefusedEndpoint("exfil.example", "socket.getaddrinfo", 1),
        ]
        many = [Refusal(f"192.0.2.{n}", 443, "socket.connect") for n in range(30)]
        assert len(refused_endpoints(many)) == 10


class TestKubeEndpoints:
    def test_in_cluster_variables(self, tmp_path: Path) -> None:
        environ = {
            "KUBERNETES_SERVICE_HOST": "10.96.0.1",
            "KUBERNETES_SERVICE_PORT": "443",
            "KUBECONFIG": str(tmp_path / "missing"),
        }
        assert kube_endpoints(environ) == [Endpoint("10.96.0.1", 443)]

    def test_kubeconfig_servers(self, tmp_path: Path) -> None:
        config = tmp_path / "config"
        config.write_text("clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n")
        assert kube_endpoints({"KUBECONFIG": str(config)}) == [Endpoint("127.0.0.1", 6443)]
