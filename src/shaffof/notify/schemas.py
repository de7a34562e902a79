"""What the inbox API shows and takes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["uz", "ru", "en"]


class InboxItem(BaseModel):
    """One in-app notice of the signed-in account."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    template: str = Field(description="stable key of the kind of notice, e.g. case.decided")
    subject: str
    body: str
    link: str | None = Field(description="path of the page the notice is about, e.g. /cases/TOSHHOK-2026-000001")
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPreferences(BaseModel):
    """How the account is told: the language of notices, e-mail on or off, a mobile number for SMS."""

    language: Language = "uz"
    email_enabled: bool = True
    sms_number: str | None = Field(
        default=None, pattern=r"^\+[1-9][0-9]{7,14}$", description="E.164, e.g. +998901234567; null: no SMS"
    )
