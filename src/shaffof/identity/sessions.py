"""An account's own sign-ins: the browser sessions and API tokens that are still valid, and ending one.

Only the owner sees and ends its tokens (a stolen laptop's session can be ended from another device); the
secret is never shown again — a token is named by its row id, its label and when it was issued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.db.base import utcnow
from shaffof.db.uow import UnitOfWork
from shaffof.errors import NotFound
from shaffof.identity.actor import Actor
from shaffof.identity.models import AuthToken, TokenKind


class SignInNotFound(NotFound):
    code = "sign-in-not-found"
    title = "No such sign-in"


@dataclass(frozen=True)
class SignIn:
    id: int
    kind: TokenKind
    label: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    current: bool  # the session this request came with


def active_sign_ins(session: Session, actor: Actor, current_hash: str | None) -> list[SignIn]:
    """The actor's unexpired, unrevoked sessions and API tokens, newest first."""
    rows = session.scalars(
        sa.select(AuthToken)
        .where(
            AuthToken.account_id == actor.account_id,
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > utcnow(),
        )
        .order_by(AuthToken.created_at.desc(), AuthToken.id.desc())
    ).all()
    return [
        SignIn(
            id=row.id,
            kind=row.kind,
            label=row.label,
            created_at=row.created_at,
            expires_at=row.expires_at,
            current=row.token_hash == current_hash,
        )
        for row in rows
    ]


def end_sign_in(uow: UnitOfWork, actor: Actor, token_id: int) -> None:
    """Revoke one of the actor's own sessions or tokens (someone else's is "not found", never "forbidden")."""
    token = uow.session.get(AuthToken, token_id)
    if token is None or token.account_id != actor.account_id or token.revoked_at is not None:
        raise SignInNotFound(f"You have no active sign-in number {token_id}.")
    token.revoked_at = utcnow()
    uow.commit()
