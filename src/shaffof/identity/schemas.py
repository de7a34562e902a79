"""Pydantic schemas of the identity domain."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from shaffof.identity.models import Role
from shaffof.identity.pinfl import Sex


class PersonEnrol(BaseModel):
    """Enrol a person (e.g. at a service centre, after checking their identity document) with a citizen account."""

    model_config = ConfigDict(extra="forbid")
    pinfl: str = Field(description="14-digit personal identification number")
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    patronymic: str | None = Field(default=None, max_length=100)
    password: str = Field(min_length=1, max_length=1024)
    email: str | None = Field(default=None, max_length=254)


class StaffAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    display_name: str = Field(min_length=1, max_length=200)
    agency: str | None = Field(default=None, description="agency code; required for officers and heads")
    email: str | None = Field(default=None, max_length=254)


class PersonPublic(BaseModel):
    pinfl: str
    full_name: str
    birth_date: dt.date
    sex: Sex
    login: str


class AccountPublic(BaseModel):
    login: str
    role: Role
    display_name: str
    agency: str | None
