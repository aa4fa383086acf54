"""sslyze (PyPI) run for real against a listening port, and what its JSON report says is wrong.

Owns how sslyze is run — pinned, in its own cached uv tool environment (it needs cryptography < 47,
so it cannot join the project's lock), with the installation's CA as its only trust store and
``--json_out`` — and the TLS policy the scan is held to (:func:`problems`, pure): no SSL 2/3 or TLS
1.0/1.1; every accepted cipher suite an AEAD one with a full-length tag (GCM, ChaCha20-Poly1305, CCM;
never NULL, anonymous, EXPORT, RC4, DES/3DES, or CBC — CBC-SHA1 and CBC-SHA2 alike, the Lucky-13
family — nor CCM_8's 64-bit tag); the certificate chain valid for the host name the clients use,
anchored in the CA. sslyze 6 validates the path with cryptography's server verifier for that name, so
"the supplied CA validates" means chain and name at once. Must never change what it scans.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: sslyze from PyPI, pinned; a new pin builds a new tool environment in the uv cache.
SSLYZE_VERSION = "6.3.1"
UV_VERSION = "0.13.8"
#: The trust store sslyze names the ``--certinfo_ca_file`` it is given.
SUPPLIED_CA = "Supplied CA file"
#: The accepted-suite lists sslyze fills for each protocol, and which of them must stay empty.
PROTOCOLS = {
    "ssl_2_0_cipher_suites": "SSL 2.0",
    "ssl_3_0_cipher_suites": "SSL 3.0",
    "tls_1_0_cipher_suites": "TLS 1.0",
    "tls_1_1_cipher_suites": "TLS 1.1",
    "tls_1_2_cipher_suites": "TLS 1.2",
    "tls_1_3_cipher_suites": "TLS 1.3",
}
REFUSED_PROTOCOLS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1")
SCANS = ("sslv2", "sslv3", "tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3", "certinfo")
AEAD = ("_GCM_", "_CHACHA20_POLY1305", "_CCM")
NEVER = ("NULL", "_anon_", "EXPORT", "RC4", "_DES_", "3DES", "_CBC_", "MD5", "_CCM_8")


class ScanFailed(AssertionError):
    """sslyze could not be run or wrote no report; the message carries its output."""


@dataclass(frozen=True)
class Target:
    """One listening port, as the clients reach it: the name they verify, and how TLS starts."""

    name: str
    host: str
    port: int
    #: sslyze's ``--starttls`` protocol ("postgres": TLS after PostgreSQL's SSLRequest), or None.
    starttls: str | None = None

    @property
    def location(self) -> str:
        return f"{self.host}:{self.port}"


def _enclave_cache() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "enclave"
    return Path(os.environ.get("ENCLAVE_CACHE") or default)


def _sslyze_command() -> tuple[list[str], dict[str, str]]:
    cache = _enclave_cache() / "tools"
    uv = cache / f"uv-{UV_VERSION}" / "bin" / "uv"
    if not uv.exists():
        raise ScanFailed(f"{uv} is missing: `make python-deps` installs it")
    env = os.environ | {"UV_TOOL_DIR": str(cache / "uv-tool"), "UV_CACHE_DIR": str(cache / "uv-cache")}
    # The project's environment is not sslyze's: uv must build the tool's own.
    for variable in ("UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV", "PIP_FIND_LINKS"):
        env.pop(variable, None)
    command = [
        str(uv),
        "tool",
        "run",
        "--python",
        "python3.11",
        "--from",
        f"sslyze=={SSLYZE_VERSION}",
        "sslyze",
    ]
    return command, env


def scan(targets: Iterable[Target], ca_file: str, out_dir: Path) -> dict[str, dict[str, Any]]:
    """Scans every target (one sslyze run per ``--starttls`` kind, the targets of a run in
    parallel) and returns each target's server result from the JSON report, by location."""
    base, env = _sslyze_command()
    groups: dict[str | None, list[Target]] = {}
    for target in targets:
        groups.setdefault(target.starttls, []).append(target)
    found: dict[str, dict[str, Any]] = {}
    for starttls, group in groups.items():
        report = out_dir / f"sslyze-{starttls or 'tls'}.json"
        command = [
            *base,
            "--quiet",
            *(
                f"--{flag}"
                for flag in ("sslv2", "sslv3", "tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3", "certinfo")
            ),
            f"--certinfo_ca_file={ca_file}",
            f"--json_out={report}",
            *([f"--starttls={starttls}"] if starttls else []),
            *(target.location for target in group),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if not report.exists():
            raise ScanFailed(
                f"sslyze wrote no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        for result in json.loads(report.read_text())["server_scan_results"]:
            location = result["server_location"]
            found[f"{location['hostname']}:{location['port']}"] = result
    return found


def accepted_suites(result: dict[str, Any]) -> dict[str, list[str]]:
    """The cipher suites the server accepted, by protocol name."""
    accepted: dict[str, list[str]] = {}
    for key, protocol in PROTOCOLS.items():
        attempt = result["scan_result"][key]
        suites = (attempt.get("result") or {}).get("accepted_cipher_suites") or []
        accepted[protocol] = [suite["cipher_suite"]["name"] for suite in suites]
    return accepted


def weak_suite(name: str) -> bool:
    """Whether a cipher suite is outside the policy: not AEAD, or one of the never-allowed kinds."""
    return any(part in name for part in NEVER) or not any(part in name for part in AEAD)


def problems(result: dict[str, Any]) -> list[str]:
    """Everything wrong with one server's scan, each a sentence; empty when it meets the policy."""
    if result.get("scan_status") != "COMPLETED":
        trace = (result.get("connectivity_error_trace") or "").strip().splitlines()
        return [f"no TLS scan possible ({result.get('scan_status')}): {trace[-1] if trace else 'no detail'}"]
    found: list[str] = []
    scans = result["scan_result"]
    for key, protocol in PROTOCOLS.items():
        if scans[key]["status"] != "COMPLETED":
            found.append(f"{protocol} could not be tested ({scans[key]['status']})")
    accepted = accepted_suites(result)
    for protocol in REFUSED_PROTOCOLS:
        if accepted[protocol]:
            found.append(f"{protocol} accepted ({len(accepted[protocol])} suites)")
    if not accepted["TLS 1.2"] and not accepted["TLS 1.3"]:
        found.append("neither TLS 1.2 nor TLS 1.3 accepted")
    for protocol in ("TLS 1.2", "TLS 1.3"):
        weak = [name for name in accepted[protocol] if weak_suite(name)]
        if weak:
            found.append(f"{protocol} accepts suites that are not full-tag AEAD: {', '.join(weak)}")
    found += _certificate_problems(scans["certificate_info"])
    return found


def _certificate_problems(certificate_info: dict[str, Any]) -> list[str]:
    if certificate_info["status"] != "COMPLETED" or not certificate_info.get("result"):
        return [f"certificate not analysed ({certificate_info['status']})"]
    found: list[str] = []
    name = certificate_info["result"]["hostname_used_for_server_name_indication"]
    for deployment in certificate_info["result"]["certificate_deployments"]:
        ours = [
            check
            for check in deployment["path_validation_results"]
            if check["trust_store"]["name"] == SUPPLIED_CA
        ]
        if not ours:
            found.append("sslyze did not validate against the installation's CA")
        for check in ours:
            if not check["was_validation_successful"]:
                why = check["validation_error"]
                found.append(f"certificate not valid for {name!r} under the installation's CA: {why}")
        if deployment["verified_chain_has_sha1_signature"]:
            found.append("the verified chain has a SHA-1 signature")
    return found
