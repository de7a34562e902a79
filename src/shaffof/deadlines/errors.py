"""Errors of the deadlines domain (mapped once to RFC 9457 problems by the web layer)."""

from __future__ import annotations

from shaffof.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class UnknownPolicy(NotFound):
    code = "unknown-deadline-policy"
    title = "No such deadline policy"


class PolicyWithoutCitation(DomainError):
    status = 422
    code = "deadline-policy-without-citation"
    title = "A deadline policy must cite the norm it implements"


class CalculationInvalid(InvalidInput):
    code = "deadline-calculation-invalid"
    title = "The deadline cannot be calculated from this input"


class OverrideInvalid(InvalidInput):
    code = "calendar-override-invalid"
    title = "The calendar override is invalid"


class OverrideExists(Conflict):
    code = "calendar-override-exists"
    title = "The date already has an override"


class CalendarNotAllowed(Forbidden):
    code = "calendar-not-allowed"
    title = "Only an administrator may change the legal calendar"


class ExtensionRefused(InvalidInput):
    code = "extension-refused"
    title = "The deadline cannot be extended like this"


class ExtensionNotAllowed(Forbidden):
    code = "extension-not-allowed"
    title = "You may not extend this deadline"
