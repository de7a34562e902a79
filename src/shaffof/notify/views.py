"""The inbox API: the signed-in account's in-app notices and how it wants to be told."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from shaffof.notify.schemas import InboxItem, NotificationPreferences
from shaffof.notify.service import Notifications
from shaffof.web.deps import MAX_INTEGER, CurrentActor, PlatformDep, StoredId

router = APIRouter(prefix="/inbox", tags=["inbox"])


def get_notifications(platform: PlatformDep) -> Notifications:
    return platform.notifications


NotificationsDep = Annotated[Notifications, Depends(get_notifications)]


@router.get("", response_model=list[InboxItem])
def inbox(
    actor: CurrentActor,
    notifications: NotificationsDep,
    unread: bool = Query(default=False, description="only notices not yet read"),
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=MAX_INTEGER),
) -> list[InboxItem]:
    """The account's in-app notices, newest first."""
    return notifications.inbox(actor, unread_only=unread, limit=limit, offset=offset)


@router.post("/{notification_id}/read", response_model=InboxItem)
def mark_read(notification_id: StoredId, actor: CurrentActor, notifications: NotificationsDep) -> InboxItem:
    """Mark a notice read."""
    return notifications.mark_read(actor, notification_id)


@router.get("/preferences", response_model=NotificationPreferences)
def preferences(actor: CurrentActor, notifications: NotificationsDep) -> NotificationPreferences:
    return notifications.preferences(actor)


@router.put("/preferences", response_model=NotificationPreferences)
def set_preferences(
    body: NotificationPreferences, actor: CurrentActor, notifications: NotificationsDep
) -> NotificationPreferences:
    """Choose the language of notices, turn e-mail on or off, give or remove a mobile number for SMS."""
    return notifications.set_preferences(actor, body)
