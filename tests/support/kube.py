"""A real Kubernetes API server for tests: etcd and kube-apiserver on free loopback ports, the way
controller-runtime's envtest does it (no kubelet, scheduler or controller-manager; pods never run).

Owns the test cluster's certificates (a throwaway CA, the server's certificate, the service-account
signing key, all made with ``cryptography``), its two identities (an ``admin`` in ``system:masters``
and the operator's ServiceAccount user, which has no rights until the chart's RBAC grants them), the
kubeconfigs for both, and the two processes' lives: started in sessions of their own, ended by their
own pids, their data removed. The tools come from ``scripts/kube-tools`` (built once, cached by
version). This module must never reach a cluster other than the one it started, and never leaves a
process running after its context ends.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[2]

#: The ServiceAccount the chart creates for the operator (release namespace ``enclave-system``).
OPERATOR_NAMESPACE = "enclave-system"
OPERATOR_SERVICE_ACCOUNT = "enclave-operator"
OPERATOR_USER = f"system:serviceaccount:{OPERATOR_NAMESPACE}:{OPERATOR_SERVICE_ACCOUNT}"
OPERATOR_GROUPS = (
    "system:serviceaccounts",
    f"system:serviceaccounts:{OPERATOR_NAMESPACE}",
    "system:authenticated",
)

#: /readyz answered within 2.6-3.2 s in measurements; a loaded 2-core machine gets ample slack.
READY_TIMEOUT_S = 90.0
#: With no clients, kube-apiserver ends about 3 s after SIGTERM; after this it is killed outright.
STOP_TIMEOUT_S = 10.0
START_ATTEMPTS = 3


class KubectlFailed(subprocess.CalledProcessError):
    """A kubectl run that exited non-zero; its message carries what kubectl said."""

    def __str__(self) -> str:
        out = (self.stdout or b"").decode(errors="replace").strip()
        err = (self.stderr or b"").decode(errors="replace").strip()
        return f"{super().__str__()}\nstdout:\n{out}\nstderr:\n{err}"


@dataclass(frozen=True)
class KubeAPI:
    """A running test API server and how to talk to it."""

    url: str  #: https://127.0.0.1:<port>
    ca_file: Path  #: the API server's CA
    admin_kubeconfig: Path  #: user "admin" in group system:masters
    #: token user "system:serviceaccount:enclave-system:enclave-operator" in groups
    #: system:serviceaccounts, system:serviceaccounts:enclave-system and system:authenticated, so RBAC
    #: bound to that ServiceAccount applies to it
    operator_kubeconfig: Path
    bin_dir: Path  #: where kubectl, helm and kubeconform live
    #: kubectl's discovery cache for this server (kept out of the home directory)
    cache_dir: Path | None = None

    def kubectl(
        self,
        *args: str,
        kubeconfig: Path | None = None,
        input: bytes | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Runs ``kubectl ARGS`` as the admin (or as ``kubeconfig``'s user); raises
        :class:`KubectlFailed` on a non-zero exit when ``check``."""
        command = [str(self.bin_dir / "kubectl"), f"--kubeconfig={kubeconfig or self.admin_kubeconfig}"]
        if self.cache_dir is not None:
            command.append(f"--cache-dir={self.cache_dir}")
        result = subprocess.run([*command, *args], input=input, capture_output=True, check=False, timeout=300)
        if check and result.returncode != 0:
            raise KubectlFailed(result.returncode, result.args, result.stdout, result.stderr)
        return result


@functools.cache
def kube_tools() -> Path:
    """Runs ``scripts/kube-tools`` (a cold build takes about 20 minutes; cached, it returns at once)
    and returns the directory holding kube-apiserver, kubectl, etcd, helm and kubeconform."""
    result = subprocess.run([str(ROOT / "scripts" / "kube-tools")], stdout=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise RuntimeError("scripts/kube-tools failed (its log is above, on stderr)")
    bin_dir = Path(result.stdout.decode().strip().splitlines()[-1])
    for tool in ("kube-apiserver", "kubectl", "etcd", "helm", "kubeconform"):
        if not os.access(bin_dir / tool, os.X_OK):
            raise RuntimeError(f"scripts/kube-tools printed {bin_dir}, which has no {tool}")
    return bin_dir


def free_port() -> int:
    """A loopback port nothing listens on now (the stack and other test runs share loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- certificates -------------------------------------------------------------------------------


def _pem_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


def write_pki(pki: Path) -> None:
    """ca.crt, apiserver.crt/.key (for 127.0.0.1 and localhost, signed by the CA) and the
    service-account token key pair sa.key/sa.pub."""
    pki.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "enclave test kube CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes.default.svc"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (pki / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (pki / "apiserver.crt").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    _write_private(pki / "apiserver.key", _pem_key(server_key))
    _write_private(pki / "sa.key", _pem_key(sa_key))
    (pki / "sa.pub").write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def write_kubeconfig(path: Path, *, url: str, ca_file: Path, user: str, token: str) -> None:
    """A kubeconfig (JSON is YAML) for one token user, its namespace left at ``default``."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {"server": url, "certificate-authority": str(ca_file)}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": user}}],
        "current-context": "test",
    }
    _write_private(path, json.dumps(config, indent=2).encode())


# --- processes ----------------------------------------------------------------------------------


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        # A session of its own, so stopping it reaches nothing of ours and nothing of theirs remains.
        return subprocess.Popen(
            command, stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process (by its own pid), SIGKILL after STOP_TIMEOUT_S: the data is thrown away."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def _wait_ready(
    process: subprocess.Popen[bytes], url: str, ca_file: Path, token: str, log: Path, what: str
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(verify=str(ca_file), timeout=2.0) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.returncode}:\n{_tail(log)}")
            try:
                response = client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})
                if response.status_code == 200 and response.text.strip() == "ok":
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready after {READY_TIMEOUT_S}s:\n{_tail(log)}")
            time.sleep(0.2)


def _etcd_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"etcd exited with {process.returncode}:\n{_tail(log)}")
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0)
            if response.status_code == 200 and json.loads(response.text).get("health") == "true":
                return
        except (httpx.TransportError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"etcd not ready after {READY_TIMEOUT_S}s:\n{_tail(log)}")
        time.sleep(0.2)


@contextmanager
def running_kube_api(workdir: Path) -> Iterator[KubeAPI]:
    """etcd and kube-apiserver on free loopback ports, ready (``/readyz`` says ok) when this yields;
    on exit both are stopped by pid (kube-apiserver first) and their data removed. Stop any client
    that holds watches open (an operator) before leaving: the server then ends in seconds."""
    bin_dir = kube_tools()
    root = workdir / f"kube-{secrets.token_hex(4)}"
    root.mkdir(parents=True)
    last_error: RuntimeError | None = None
    try:
        # A port picked free can be taken before a server binds it; starting over with new ports is
        # the cure.
        for _ in range(START_ATTEMPTS):
            with ExitStack() as stack:
                try:
                    api = _start_cluster(bin_dir, root, stack)
                except RuntimeError as error:
                    last_error = error
                    continue
                yield api
                return
        raise RuntimeError(f"the test API server did not start in {START_ATTEMPTS} attempts") from last_error
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start_cluster(bin_dir: Path, root: Path, stack: ExitStack) -> KubeAPI:
    """Starts both processes, registering their stops on ``stack`` (so a failed start cleans up)."""
    run = root / f"run-{secrets.token_hex(3)}"
    pki = run / "pki"
    write_pki(pki)
    etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
    admin_token, operator_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    tokens = run / "tokens.csv"
    _write_private(
        tokens,
        (
            f'{admin_token},admin,admin-uid,"system:masters"\n'
            f'{operator_token},{OPERATOR_USER},enclave-operator-uid,"{",".join(OPERATOR_GROUPS)}"\n'
        ).encode(),
    )
    etcd_log, api_log = run / "etcd.log", run / "kube-apiserver.log"
    etcd = _start(
        [
            str(bin_dir / "etcd"),
            f"--data-dir={run / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{etcd_port}",
            f"--advertise-client-urls=http://127.0.0.1:{etcd_port}",
            f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-cluster=default=http://127.0.0.1:{peer_port}",
            "--unsafe-no-fsync",  # throwaway data: durability buys nothing here
        ],
        etcd_log,
    )
    # Registered in this order so the API server stops first, then etcd (ExitStack unwinds LIFO).
    stack.callback(_stop, etcd)
    _etcd_ready(etcd, etcd_port, etcd_log)
    apiserver = _start(
        [
            str(bin_dir / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            f"--token-auth-file={tokens}",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc",
            "--authorization-mode=RBAC",
            # Without it the server refuses 127.0.0.1 as its advertised address and exits.
            "--endpoint-reconciler-type=none",
            "--service-cluster-ip-range=10.0.0.0/24",
        ],
        api_log,
    )
    stack.callback(_stop, apiserver)
    url = f"https://127.0.0.1:{api_port}"
    _wait_ready(apiserver, f"{url}/readyz", pki / "ca.crt", admin_token, api_log, "kube-apiserver")
    admin_kubeconfig, operator_kubeconfig = run / "admin.kubeconfig", run / "operator.kubeconfig"
    write_kubeconfig(admin_kubeconfig, url=url, ca_file=pki / "ca.crt", user="admin", token=admin_token)
    write_kubeconfig(
        operator_kubeconfig, url=url, ca_file=pki / "ca.crt", user=OPERATOR_USER, token=operator_token
    )
    cache_dir = run / "kubectl-cache"
    cache_dir.mkdir()
    return KubeAPI(
        url=url,
        ca_file=pki / "ca.crt",
        admin_kubeconfig=admin_kubeconfig,
        operator_kubeconfig=operator_kubeconfig,
        bin_dir=bin_dir,
        cache_dir=cache_dir,
    )


@pytest.fixture(scope="session")
def kube_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeAPI]:
    """One real API server for the session; import this fixture into a suite's conftest. Use a fresh
    namespace per test: nothing here deletes namespaces (there is no namespace controller)."""
    with running_kube_api(tmp_path_factory.mktemp("kube")) as api:
        yield api
