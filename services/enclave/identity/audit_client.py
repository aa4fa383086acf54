"""The audit service's own client in Keycloak's master realm: confidential, a service account and no
other flow, holding no role of its own (``RealmService.grant_event_reader`` gives it the reading of
each organization realm's login events). Made, and kept in line, by whoever has the installation's
Keycloak admin: the operator in a cluster (from the secret the chart generated), the stack script
locally. Must never log or return its secret.
"""

from __future__ import annotations

from typing import Any

import structlog
from keycloak import KeycloakAdmin

from enclave.identity.keycloak_admin import RealmAdmin, changed_keys

log = structlog.get_logger(__name__)


def representation(client_id: str) -> dict[str, Any]:
    """What the client must be (the stack script writes the same: ``scripts/lib/keycloak.sh``)."""
    return {
        "clientId": client_id,
        "name": "Enclave audit service",
        "description": "Reads the login events of the organization realms it is granted view-events of.",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "bearerOnly": False,
        "clientAuthenticatorType": "client-secret",
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "frontchannelLogout": False,
        "attributes": {
            "oauth2.device.authorization.grant.enabled": "false",
            "oidc.ciba.grant.enabled": "false",
            "standard.token.exchange.enabled": "false",
        },
    }


def ensure_audit_client(admin: KeycloakAdmin, client_id: str, secret: str) -> list[str]:
    """Makes the client, or puts back what differs (its secret included); returns what was changed
    (``["created"]`` for a new one, [] when it was in line)."""
    master = RealmAdmin.master(admin)
    wanted = representation(client_id)
    found = master.get("/clients", clientId=client_id)
    if not found:
        master.post("/clients", wanted | {"secret": secret})
        found = master.get("/clients", clientId=client_id)
        changed = ["created"]
    else:
        changed = changed_keys(found[0], wanted)
        current = master.get(f"/clients/{found[0]['id']}/client-secret").get("value")
        if current != secret:
            changed.append("secret")
        if changed:
            master.put(f"/clients/{found[0]['id']}", found[0] | wanted | {"secret": secret})
    uuid_ = found[0]["id"]
    # Its service account starts with the master realm's default roles (account console, offline
    # access); it needs none of them.
    account = master.get(f"/clients/{uuid_}/service-account-user")
    mapped = master.get(f"/users/{account['id']}/role-mappings/realm")
    defaults = [role for role in mapped if role.get("name") == "default-roles-master"]
    if defaults:
        master.request("DELETE", f"/users/{account['id']}/role-mappings/realm", defaults)
        changed.append("default roles")
    if changed:
        log.info("identity.audit_client.converged", client_id=client_id, changed=changed)
    return changed
