"""No egress: the in-process guard that lets a service connect only to its configured endpoints.

Owns the allow/deny decision (:class:`EgressPolicy`, pure) and the guard that enforces it in every
process (:func:`install`): a ``sys.addaudithook`` hook on the socket module's audit events
(``socket.connect``, ``sendto``/``sendmsg``, ``getaddrinfo``, ``gethostbyname``, ``gethostbyaddr``,
``getnameinfo``), through which every Python-level connection goes — ``socket.create_connection``,
asyncio's default loop (``sock_connect`` calls ``socket.connect``), urllib3, httpx/anyio, asyncpg,
redis, aiohttp; TLS only wraps a socket that already connected. uvloop (uvicorn's loop) connects in
libuv, past those events, so its ``Loop`` methods that open or resolve a connection are wrapped too.

Allowed: the endpoints the process's settings name — PostgreSQL, Redis, MinIO and the customer's own
S3 endpoints, Vault, Keycloak, the Kubernetes API server (in-cluster variables or the kubeconfig), and
the process's own listener — by name, by the addresses those names resolve to, and on their port only.
Anything else is refused before it happens (:class:`EgressRefused`, a ``PermissionError``, so every
client library treats it as the connection failure it is), logged as the security event
``security.egress_refused`` (host, port and the call; never a URL path, a query or a credential), and
counted; work that opened a :func:`witness` (an api request, a job) also gets the refusals made on
its behalf, so its process can put them in the organization's audit trail. Must never offer a way
to switch it off: there is no setting, and an audit hook cannot be removed. Unix-domain sockets are
local, not egress, and are let through.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog
from pydantic import ValidationError

from enclave.settings import (
    ApiSettings,
    DatabaseSettings,
    KeycloakSettings,
    RedisSettings,
    S3Settings,
    VaultSettings,
)

log = structlog.get_logger("enclave.egress")

_DEFAULT_PORTS = {"https": 443, "rediss": 6379, "postgresql": 5432}
#: A connection to an unknown address on an allowed port re-resolves the allowed names at most this often.
_REFRESH_S = 1.0


class EgressRefused(PermissionError):
    """A connection or a name lookup outside the configured endpoints was refused."""


@dataclass(frozen=True)
class Refusal:
    """One refused connection or lookup: where to (never a path, query or credential), and how."""

    host: str
    port: int | None
    via: str


_witnessed: ContextVar[list[Refusal] | None] = ContextVar("enclave_egress_witness", default=None)


def witness() -> list[Refusal]:
    """A new, empty list that every refusal made from now on in this context is added to — including
    in the threads it hands work to (``asyncio.to_thread`` and anyio copy the context, and with it this
    same list). An api request or a job opens one, then audits what it holds."""
    refusals: list[Refusal] = []
    _witnessed.set(refusals)
    return refusals


@dataclass(frozen=True)
class RefusedEndpoint:
    """What an audit record says of one endpoint a piece of work was refused: ``host[:port]``, the
    first call that tried, and how many tries there were."""

    where: str
    via: str
    attempts: int


def refused_endpoints(refusals: Iterable[Refusal], limit: int = 10) -> list[RefusedEndpoint]:
    """The refusals grouped by endpoint, in the order first tried, at most ``limit`` of them."""
    grouped: dict[str, list[Refusal]] = {}
    for refusal in refusals:
        where = refusal.host if refusal.port is None else f"{refusal.host}:{refusal.port}"
        grouped.setdefault(where, []).append(refusal)
    return [RefusedEndpoint(where, seen[0].via, len(seen)) for where, seen in grouped.items()][:limit]


@dataclass(frozen=True)
class Endpoint:
    """One host (a name or an address) and the port the process may reach it on."""

    host: str
    port: int


def normal_host(host: str | bytes) -> str:
    """``host`` as compared: lower case, no trailing dot, an address in its canonical form (an
    IPv4-mapped IPv6 address as the IPv4 address, no IPv6 zone)."""
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    text = text.strip().strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def endpoint_of_url(url: str) -> Endpoint:
    """The host and port a ``scheme://host[:port]/...`` URL connects to (its scheme's default port)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError("a URL without a host names no endpoint")
    return Endpoint(normal_host(parts.hostname), parts.port or _DEFAULT_PORTS.get(parts.scheme, 443))


@dataclass(frozen=True)
class EgressPolicy:
    """The endpoints a process may reach. Pure: the decisions take the names' addresses as input."""

    endpoints: frozenset[Endpoint]

    @classmethod
    def of(cls, endpoints: Iterable[Endpoint]) -> EgressPolicy:
        return cls(frozenset(Endpoint(normal_host(e.host), e.port) for e in endpoints))

    @property
    def names(self) -> frozenset[str]:
        """The host names (not addresses) the endpoints are given by: the only names ever looked up."""
        return frozenset(e.host for e in self.endpoints if not is_address(e.host))

    def allows_lookup(self, host: str | bytes | None) -> bool:
        """Whether resolving ``host`` may happen: an allowed name, an address literal (resolving one
        asks no resolver), or none (a listener's wildcard)."""
        if host is None:
            return True
        name = normal_host(host)
        return is_address(name) or name in self.names

    def allows_reverse_lookup(self, address: str, addresses: Mapping[str, frozenset[str]]) -> bool:
        """Whether ``address`` may be turned back into a name: only an allowed endpoint's address."""
        host = normal_host(address)
        return any(host == e.host or host in addresses.get(e.host, frozenset()) for e in self.endpoints)

    def allows_connect(self, host: str | bytes, port: int, addresses: Mapping[str, frozenset[str]]) -> bool:
        """Whether a connection to ``host`` (a name or an address) on ``port`` may be opened.
        ``addresses`` maps each allowed name to the addresses it resolves to."""
        target = normal_host(host)
        for endpoint in self.endpoints:
            if endpoint.port != port:
                continue
            if target == endpoint.host or target in addresses.get(endpoint.host, frozenset()):
                return True
        return False


def resolve(names: Iterable[str]) -> dict[str, frozenset[str]]:
    """The addresses each name resolves to now (a name that does not resolve maps to none)."""
    found: dict[str, frozenset[str]] = {}
    for name in names:
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
        except OSError:
            found[name] = frozenset()
            continue
        found[name] = frozenset(normal_host(str(info[4][0])) for info in infos)
    return found


def _part(read: Callable[[], Any]) -> Any | None:
    """A settings part, or None where this process does not configure it (its endpoints stay refused)."""
    try:
        return read()
    except ValidationError:
        return None


def kube_endpoints(environ: Mapping[str, str] = os.environ) -> list[Endpoint]:
    """The Kubernetes API server: the pod's in-cluster variables, else each kubeconfig's clusters."""
    found: list[Endpoint] = []
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT")
    if host and port and port.isdigit():
        found.append(Endpoint(host, int(port)))
    paths = environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    for path in filter(None, paths.split(os.pathsep)):
        found += _kubeconfig_servers(Path(path))
    return found


def _kubeconfig_servers(path: Path) -> list[Endpoint]:
    import yaml  # type: ignore[import-untyped]  # only the operator reads a kubeconfig

    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    servers = [c.get("cluster", {}).get("server") for c in config.get("clusters") or []]
    return [endpoint_of_url(server) for server in servers if isinstance(server, str) and "://" in server]


def configured_policy(*, kube: bool = False) -> EgressPolicy:
    """The endpoints this process's ``ENCLAVE_*`` settings name (``kube``: and the API server)."""
    endpoints: list[Endpoint] = []
    if (db := _part(DatabaseSettings)) is not None:
        endpoints.append(Endpoint(db.host, db.port))
    urls: list[str] = []
    if (redis := _part(RedisSettings)) is not None:
        urls.append(redis.url)
    if (s3 := _part(S3Settings)) is not None:
        urls += [s3.endpoint, *s3.external_endpoints]
    if (vault := _part(VaultSettings)) is not None:
        urls += [vault.url, *vault.external_endpoints]
    if (keycloak := _part(KeycloakSettings)) is not None:
        urls.append(keycloak.url)
    endpoints += [endpoint_of_url(url) for url in urls]
    if (api := _part(ApiSettings)) is not None:
        # The api's listener: the api's own (a probe of itself), and a peer of the installation for the rest.
        endpoints.append(Endpoint(api.host, api.port))
    if kube:
        endpoints += kube_endpoints()
    return EgressPolicy.of(endpoints)


@dataclass
class EgressGuard:
    """Enforces a policy on this process's sockets; ``refused`` counts what it stopped."""

    policy: EgressPolicy
    addresses: dict[str, frozenset[str]] = field(default_factory=dict)
    refused: int = 0
    _refreshed: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _inside: threading.local = field(default_factory=threading.local)

    def refresh(self) -> None:
        """Re-resolves the allowed names (a service's address may change; its name may not)."""
        self._inside.busy = True
        try:
            found = resolve(self.policy.names)
        finally:
            self._inside.busy = False
        with self._lock:
            self.addresses = found
            self._refreshed = time.monotonic()

    def check_lookup(self, host: str | bytes | None, via: str) -> None:
        if not self.policy.allows_lookup(host):
            self._refuse(host, None, via)

    def check_connect(self, host: str | bytes, port: int, via: str) -> None:
        if self.policy.allows_connect(host, port, self.addresses):
            return
        stale = time.monotonic() - self._refreshed > _REFRESH_S
        if stale and any(e.port == port for e in self.policy.endpoints):
            self.refresh()
            if self.policy.allows_connect(host, port, self.addresses):
                return
        self._refuse(host, port, via)

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        """The audit hook: refuses a socket event outside the policy (raising aborts it)."""
        if not event.startswith("socket.") or getattr(self._inside, "busy", False):
            return
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[1]
            if address is None or getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
                return  # Unix-domain and other local sockets; a sendmsg on a connected socket
            self.check_connect(str(address[0]), int(address[1]), event)
        elif event in ("socket.getaddrinfo", "socket.gethostbyname"):
            self.check_lookup(args[0], event)
        elif event in ("socket.gethostbyaddr", "socket.getnameinfo"):
            host = args[0] if event == "socket.gethostbyaddr" else args[0][0]
            if not self.policy.allows_reverse_lookup(str(host), self.addresses):
                self._refuse(host, None, event)

    def _refuse(self, host: object, port: int | None, via: str) -> None:
        with self._lock:
            self.refused += 1
        self._inside.busy = True
        try:
            log.warning("security.egress_refused", host=str(host), port=port, via=via)
        finally:
            self._inside.busy = False
        seen = _witnessed.get()
        if seen is not None:
            seen.append(Refusal(str(host), port, via))
        where = f"{host}" if port is None else f"{host}:{port}"
        raise EgressRefused(f"egress to {where} is not a configured endpoint")


_installed: EgressGuard | None = None


def install(policy: EgressPolicy | None = None, *, kube: bool = False) -> EgressGuard:
    """Installs the guard for the rest of this process's life (once; later calls return it)."""
    global _installed  # one guard per process, for its whole life
    if _installed is not None:
        return _installed
    guard = EgressGuard(policy or configured_policy(kube=kube))
    guard.refresh()
    _wrap_uvloop(guard)
    sys.addaudithook(guard.audit)
    _installed = guard
    # Debug, not info: a command's own output (enclave-audit public-key, verify) goes to stdout too.
    log.debug(
        "egress_guard_installed", endpoints=sorted(f"{e.host}:{e.port}" for e in guard.policy.endpoints)
    )
    return guard


def installed() -> EgressGuard | None:
    """The process's guard, if installed (its ``refused`` count is the process's egress attempts)."""
    return _installed


def _wrap_uvloop(guard: EgressGuard) -> None:
    """uvloop opens and resolves connections in libuv, which raises no audit event: its ``Loop``
    methods that do are checked before they run."""
    try:
        import uvloop  # optional: only where uvicorn runs on it
    except ImportError:
        return
    loop_class: Any = uvloop.Loop

    def wrap(name: str, check: Callable[..., None]) -> None:
        original = getattr(loop_class, name)

        @functools.wraps(original)
        async def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
            check(*args, **kwargs)
            return await original(self, *args, **kwargs)

        setattr(loop_class, name, checked)

    def connection(_factory: Any, host: Any = None, port: Any = None, **kwargs: Any) -> None:
        if kwargs.get("sock") is None and host is not None and port is not None:
            guard.check_lookup(host, "uvloop.create_connection")
            guard.check_connect(host, int(port), "uvloop.create_connection")

    def datagram(_factory: Any, local_addr: Any = None, remote_addr: Any = None, **_: Any) -> None:
        if remote_addr is not None:
            guard.check_connect(str(remote_addr[0]), int(remote_addr[1]), "uvloop.create_datagram_endpoint")

    def sock_connect(sock: Any, address: Any) -> None:
        if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6):
            guard.check_connect(str(address[0]), int(address[1]), "uvloop.sock_connect")

    def lookup(host: Any, *_: Any, **__: Any) -> None:
        guard.check_lookup(host, "uvloop.getaddrinfo")

    def reverse(sockaddr: Any, *_: Any) -> None:
        if not guard.policy.allows_reverse_lookup(str(sockaddr[0]), guard.addresses):
            guard._refuse(sockaddr[0], None, "uvloop.getnameinfo")

    wrap("create_connection", connection)
    wrap("create_datagram_endpoint", datagram)
    wrap("sock_connect", sock_connect)
    wrap("getaddrinfo", lookup)
    wrap("getnameinfo", reverse)
