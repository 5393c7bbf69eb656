"""What intake's channel-side use cases run over: the platform's ports, the server secret ids
are derived from, the reporters' tokens and intake's settings; and the one way a token is issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from intake.domain import IntakeSecrets
from intake.settings import IntakeSettings
from intake.store import ReporterTokens
from services.platform.ports import Ports, Transaction


@dataclass
class IntakeDeps:
    """What intake's handlers run over."""

    ports: Ports
    secrets: IntakeSecrets
    tokens: ReporterTokens
    settings: IntakeSettings

    @property
    def public_base(self) -> str:
        """Where channels and reporters reach intake: links in answers start with it."""
        return self.settings.status_base(self.ports.settings)


async def issue_token(
    deps: IntakeDeps, complaint_id: UUID, token: str, *, tx: Transaction, revoke_others: bool
) -> None:
    """Keep a reporter's new access token (revoking the others when asked)."""
    now = deps.ports.clock.now()
    expires = now + timedelta(days=deps.settings.reporter_token_days)
    await deps.tokens.issue(
        complaint_id, token, now=now, expires_at=expires, revoke_others=revoke_others, tx=tx
    )
