"""Invitations: every query on ``invites``, scoped to the organization the invitation belongs to. Owns
the new invitation's row and the lookup an acceptance makes by the token's hash, locked so an invitation
is used once. Must never see or store a token itself: only its SHA-256 is kept and looked up.
"""

from __future__ import annotations

from enclave.db.models import Invite
from enclave.db.repositories.base import TenantRepository


class InviteRepository(TenantRepository[Invite]):
    model = Invite

    async def by_token_hash(self, token_hash: bytes, *, for_update: bool = False) -> Invite | None:
        """The invitation whose token hashes to ``token_hash``; ``for_update`` while accepting it,
        so two acceptances of one invitation take turns and the second finds it used."""
        statement = self.select().where(Invite.token_hash == token_hash)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()
