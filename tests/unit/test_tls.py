"""The one client TLS context: verifies certificates and host names, TLS 1.2 at least."""

from __future__ import annotations

import ssl
from pathlib import Path

from enclave.tls import client_context
from tests.support.tls import write_ca


class TestClientContext:
    def test_always_verifies(self) -> None:
        context = client_context(write_ca("Some other installation's CA"))
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True
        assert context.minimum_version >= ssl.TLSVersion.TLSv1_2

    def test_trusts_only_the_given_ca(self) -> None:
        ca = write_ca("Some other installation's CA")
        context = client_context(Path(ca))
        subjects = [dict(item[0] for item in cert["subject"]) for cert in context.get_ca_certs()]
        assert subjects == [{"commonName": "Some other installation's CA"}]
