"""Errors of automated decisions; each maps to an RFC 9457 problem (web/problems.py)."""

from __future__ import annotations

from shaffof.errors import Conflict, Forbidden, InvalidInput, NotFound


class DecisionInputInvalid(InvalidInput):
    """A decision-table input is missing, of the wrong type or outside its declared values."""

    code = "decision-input-invalid"
    title = "A decision input is invalid"


class ProcessFailed(InvalidInput):
    """A process step failed at run time; the case is parked for an officer with this error."""

    code = "process-failed"
    title = "The service process failed"


class ScriptRefused(InvalidInput):
    """A BPMN script or condition uses something outside the allowed set (imports, I/O, dunders…)."""

    code = "script-refused"
    title = "A process script is not allowed"


class TraceNotFound(NotFound):
    code = "trace-not-found"
    title = "No automated decision"


class ReviewRefused(Conflict):
    code = "review-refused"
    title = "The review cannot be recorded"


class ReviewNotAllowed(Forbidden):
    code = "review-not-allowed"
    title = "Not allowed to review"
