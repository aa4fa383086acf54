"""The benchmark's accounts inside Label Studio: run by Label Studio's own interpreter, never imported.

``python provision.py`` in Label Studio's environment (its package directory as the working directory,
its settings in the environment) makes one organization, an owner who creates the project, and
``BENCH_ANNOTATORS`` annotators, all members of it (their addresses and the organization's title
marked with ``BENCH_PREFIX`` when it is set, so a later run of it makes another), then writes their
API tokens as JSON to the file named by ``BENCH_TOKENS_FILE`` (created 0600; tokens never go to a
log or a command line).

Label Studio 1.23 turns legacy API tokens (``Authorization: Token <key>``) off for a new organization
and offers personal access tokens instead: short-lived JWTs that a client refreshes. The organization
made here turns legacy tokens on, so each user has one static token, as an integration script would.
Django is imported by name at run time: this file is read by the project's type checker and linter,
whose environment does not have Label Studio.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

ORGANIZATION = "Enclave benchmark"
EMAIL_DOMAIN = "bench.invalid"


def _member(organization: Any, user: Any) -> str:
    """Makes ``user`` a member of ``organization`` who works in it; returns their legacy API token."""
    if not organization.has_user(user):
        organization.add_user(user)
    user.active_organization = organization
    user.save(update_fields=["active_organization"])
    return str(user.auth_token.key)


def main() -> None:
    annotators = int(os.environ["BENCH_ANNOTATORS"])
    prefix = os.environ.get("BENCH_PREFIX", "")
    tokens_file = Path(os.environ["BENCH_TOKENS_FILE"])
    sys.path.insert(0, str(Path.cwd()))  # Label Studio's apps are top-level packages in its directory
    import_module("django").setup()
    users = import_module("users.models").User
    organizations = import_module("organizations.models").Organization

    # No passwords: these accounts sign in with API tokens only.
    owner = users.objects.create_user(email=f"{prefix}owner@{EMAIL_DOMAIN}", password=None)
    organization = organizations.create_organization(
        created_by=owner, title=f"{ORGANIZATION} {prefix}".strip(), legacy_api_tokens_enabled=True
    )
    # Set it whatever the JWT feature flag did in create_organization: the tokens below are legacy ones.
    organization.jwt.legacy_api_tokens_enabled = True
    organization.jwt.save(update_fields=["legacy_api_tokens_enabled"])
    owner_token = _member(organization, owner)
    annotator_tokens = [
        _member(
            organization,
            users.objects.create_user(email=f"{prefix}annotator{i}@{EMAIL_DOMAIN}", password=None),
        )
        for i in range(annotators)
    ]

    descriptor = os.open(tokens_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"owner": owner_token, "annotators": annotator_tokens}, out)


if __name__ == "__main__":
    main()
