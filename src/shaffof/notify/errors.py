"""Errors of the notify domain."""

from __future__ import annotations

from shaffof.errors import NotFound


class NotificationNotFound(NotFound):
    code = "notification-not-found"
    title = "No such notification"
