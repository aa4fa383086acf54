"""One signed-in client of the Vault-API server's transit engine, shared by the api's tenant keys and
the audit service's checkpoint signer: verified TLS, AppRole sign-in (a token file for tools), and
signing in again once when a token has expired. Vault unreachable or failing is ``VaultUnreachable``;
each caller turns it into its own fail-closed error."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import hvac
import requests
from hvac import exceptions as vault_errors

from enclave.settings import TLSSettings, read_secret

#: Vault answers that mean "not now", never "no": the caller fails closed and may retry later.
_UNREACHABLE = (
    requests.ConnectionError,
    requests.Timeout,
    vault_errors.VaultDown,
    vault_errors.InternalServerError,
    vault_errors.BadGateway,
    vault_errors.RateLimitExceeded,
)


class VaultUnreachable(Exception):
    """The Vault server cannot be reached, has no credentials configured, or refused to sign us in."""


class TransitClient:
    def __init__(
        self,
        url: str,
        tls: TLSSettings,
        mount: str,
        *,
        role_id_file: Path | None,
        secret_id_file: Path | None,
        token_file: Path | None = None,
    ) -> None:
        self.client = hvac.Client(url=url, verify=str(tls.ca_file), timeout=10)
        self._mount = mount
        self._role_id_file, self._secret_id_file, self._token_file = role_id_file, secret_id_file, token_file
        self._login_lock = threading.Lock()

    def _login(self) -> None:
        with self._login_lock:
            if self._role_id_file and self._secret_id_file:
                self.client.auth.approle.login(
                    role_id=read_secret(self._role_id_file), secret_id=read_secret(self._secret_id_file)
                )
            elif self._token_file:
                self.client.token = read_secret(self._token_file)
            else:
                raise VaultUnreachable("No Vault credentials are configured (AppRole or token).")

    def call(self, operation: Any, /, *, mounted: bool = True, **kwargs: Any) -> Any:
        """Runs a transit operation (``mounted=False``: any other, e.g. on ``sys/``), signing in first
        or again when the token is missing or expired. Other Vault errors (a missing key, a refused
        ciphertext, a refused path) reach the caller unchanged."""
        if mounted:
            kwargs["mount_point"] = self._mount
        for attempt in (1, 2):
            try:
                if not self.client.token:
                    self._login()
                return operation(**kwargs)
            except vault_errors.Forbidden:
                if attempt == 2:
                    raise
                self.client.token = None  # expired or revoked: sign in again once
            except _UNREACHABLE as error:
                raise VaultUnreachable("The Vault server is unreachable.") from error
        raise VaultUnreachable("The Vault server refused the request.")  # pragma: no cover
