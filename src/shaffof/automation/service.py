"""Automated decisions: start a service's process on registration, advance it, decide, show the trace, review.

How it hooks into cases (kept narrow): ``on_case_event`` is subscribed to case events and, inside the
registration's transaction, queues a run for a service that has a model. The worker (``advance``) runs the
process outside that transaction; a decision goes through ``Cases.decide_automatically`` — the same lifecycle,
events, ledger leaves and notices as an officer's decision — and the worker later seals the document with the
body's e-seal (docs/decisions/0004). A failure rolls the step back and parks the case for an officer with
the error (an ``automation_parked`` event): a case is never lost to a broken model.

Human review (GDPR Art. 22 practice, shared/legal.md): every automated decision tells the applicant how to
contest it; contesting (``Cases.contest``) opens a review case at the higher body with its own ZRU-445
deadline; the officer there reads the trace and confirms or replaces the outcome (``review``), which decides
the review case and records ``decision_reviewed`` on the original case.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.automation import package as packages
from shaffof.automation.errors import (
    DecisionInputInvalid,
    ProcessFailed,
    ReviewRefused,
    TraceNotFound,
)
from shaffof.automation.models import ACTIVE_STATUSES_SQL, AutomationModel, AutomationRun, ReviewResult, RunStatus
from shaffof.automation.registries import Inquiry, RegistryGateway, StatedAnswers, recorded_answers
from shaffof.automation.runner import RunResult, citation_text, new_trace, process_data, run
from shaffof.automation.schemas import (
    AdvanceReport,
    ContestRoute,
    ReplayResult,
    ReviewCommand,
    ReviewPublic,
    TracePublic,
)
from shaffof.cases import policy
from shaffof.cases.errors import CaseNotFound
from shaffof.cases.models import Case, CaseEvent, CaseRelation, CaseState, EventKind, Outcome
from shaffof.cases.service import CONTEST_CITATION, CONTEST_WINDOW, Cases
from shaffof.catalog.models import Service
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.errors import DomainError, FieldError
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.legal import Citation

NEGATIVE = frozenset({Outcome.rejected, Outcome.left_unconsidered})
CONTEST_EXPLANATION = {
    "uz": "Qaror avtomatik qabul qilindi. Rozi boʻlmasangiz, bir yil ichida shikoyat qiling: "
    "uni mansabdor shaxs koʻrib chiqadi.",
    "ru": "Решение принято автоматически. Если вы не согласны, обжалуйте его в течение года: "
    "его рассмотрит должностное лицо.",
    "en": "This decision was made automatically. If you disagree, contest it within a year: an officer will review it.",
}


@dataclass(frozen=True)
class _Step:
    """What the next step of a process needs, read before it runs (outside any transaction)."""

    package: packages.AutomationPackage
    state: str | None
    data: dict[str, Any]
    trace: dict[str, Any]
    inquiry: Inquiry
    at: dt.datetime


class Automation:
    """The automation domain service (built once by the composition root)."""

    def __init__(
        self,
        db: Database,
        cases: Cases,
        *,
        gateway: RegistryGateway,
        timezone: str,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._cases = cases
        self._gateway = gateway
        self._tz = ZoneInfo(timezone)
        self.clock = clock
        self._packages: dict[str, packages.AutomationPackage] = {}

    # ------------------------------------------------------------------ hook into case events

    def on_case_event(self, session: Session, case: Case, event: CaseEvent) -> None:
        """Queue the process of a newly registered case whose service has a model (same transaction)."""
        if event.kind is not EventKind.registered or case.relation is not None:
            return
        model = session.get(AutomationModel, case.service_id)
        if model is None:
            return  # no model: the default lifecycle
        config = self._package(model).config
        decisive = case.received_at.astimezone(self._tz).date() if config.decisive_date == "submission" else None
        session.add(
            AutomationRun(
                agency_id=case.agency_id,
                case_id=case.id,
                service_id=case.service_id,
                model_digest=model.digest,
                status=RunStatus.pending,
                decisive_date=decisive,
                state=None,
                trace={},
                created_at=event.at,
                updated_at=event.at,
            )
        )

    def _package(self, model: AutomationModel) -> packages.AutomationPackage:
        if model.digest not in self._packages:
            self._packages[model.digest] = packages.from_files(model.files)
        return self._packages[model.digest]

    # ------------------------------------------------------------------ the worker

    def advance(self, *, limit: int = 100) -> AdvanceReport:
        """Run the queued processes as far as they go (each in its own transaction)."""
        with self._db.reading() as session:
            keys = session.execute(
                sa.select(AutomationRun.agency_id, AutomationRun.case_id)
                .where(sa.text(ACTIVE_STATUSES_SQL), AutomationRun.status.in_([RunStatus.pending, RunStatus.waiting]))
                .order_by(AutomationRun.updated_at)
                .limit(limit)
            ).all()
        report = AdvanceReport()
        for agency_id, case_id in keys:
            status = self._advance_one(agency_id, case_id)
            if status is not None:
                report.checked += 1
                report.by_status[status.value] = report.by_status.get(status.value, 0) + 1
        return report

    def _advance_one(self, agency_id: int, case_id: Any) -> RunStatus | None:
        """Read the run, advance the process outside any transaction (its registry queries are the mediator's
        own committed exchanges), then store the step — unless another worker or an officer got there first."""
        with self._db.reading() as session:
            automation_run = session.get(AutomationRun, (agency_id, case_id))
            case = session.get(Case, (agency_id, case_id))
            if (
                automation_run is None
                or case is None
                or automation_run.status not in (RunStatus.pending, RunStatus.waiting)
            ):
                return None  # another worker took it
            seen = (automation_run.status, automation_run.updated_at)
            step = self._prepare(session, automation_run, case) if case.state is CaseState.registered else None
        # No transaction is open while the process runs: its registry queries are the mediator's own.
        attempt = self._attempt(step) if step is not None else None
        with self._db.uow() as uow:
            session = uow.session
            automation_run = session.get(AutomationRun, (agency_id, case_id), with_for_update=True)
            case = session.get(Case, (agency_id, case_id), with_for_update=True)
            if automation_run is None or case is None or (automation_run.status, automation_run.updated_at) != seen:
                return None  # another worker stored this step meanwhile
            if case.state is not CaseState.registered or attempt is None:
                automation_run.status = RunStatus.officer  # an officer acted first: the process stands aside
                automation_run.updated_at = self.clock()
                uow.commit()
                return automation_run.status
            if isinstance(attempt, str):
                self._park_in(session, automation_run, case, attempt)
                uow.commit()
                return RunStatus.parked
            try:
                self._store(session, automation_run, case, attempt)
            except DomainError as failure:  # the process's result is not one the case can take
                error = failure.detail
            else:
                uow.commit()
                return automation_run.status
        return self._park(agency_id, case_id, error)

    def _prepare(self, session: Session, automation_run: AutomationRun, case: Case) -> _Step:
        """What the next step of the process needs, read in the worker's read transaction."""
        model = session.get(AutomationModel, automation_run.service_id)
        service = session.get(Service, automation_run.service_id)
        assert model is not None and service is not None
        package = self._package(model)
        now = self.clock()
        decisive = automation_run.decisive_date or now.astimezone(self._tz).date()
        return _Step(
            package=package,
            state=automation_run.state,
            data=process_data(service.form_schema, case.form),
            trace=copy.deepcopy(automation_run.trace) or new_trace(package, decisive, case.form),
            inquiry=Inquiry(
                agency_id=case.agency_id,
                case=case.registration_number,
                subject=identity.get_person(session, case.applicant_person_id).pinfl,
                purpose=service.code,
                on=decisive,
            ),
            at=now,
        )

    def _attempt(self, step: _Step) -> RunResult | str:
        """The next step of the process, or the failure that parks the case (a bad input, script or model,
        or a registry query the mediator refused)."""
        try:
            return run(
                step.package,
                state=step.state,
                data=step.data,
                trace=step.trace,
                gateway=self._gateway,
                inquiry=step.inquiry,
                at=step.at,
            )
        except DomainError as failure:
            return failure.detail

    def _store(self, session: Session, automation_run: AutomationRun, case: Case, result: RunResult) -> None:
        model = session.get(AutomationModel, automation_run.service_id)
        service = session.get(Service, automation_run.service_id)
        assert model is not None and service is not None
        now = self.clock()
        automation_run.decisive_date = dt.date.fromisoformat(result.trace["decisive_date"])
        automation_run.state, automation_run.trace, automation_run.updated_at = result.state, result.trace, now
        if result.status == "waiting":
            automation_run.status = RunStatus.waiting
        elif result.status == "officer":
            automation_run.status = RunStatus.officer
            step = result.trace["steps"][-1]
            self._cases.record(
                session,
                case,
                EventKind.process_handed_over,
                f"the process hands the case to an officer: {step['name']}",
                {"task": step["task"]},
            )
        else:
            self._decided(session, automation_run, case, self._package(model), result, service)

    def _decided(
        self,
        session: Session,
        automation_run: AutomationRun,
        case: Case,
        package: packages.AutomationPackage,
        result: RunResult,
        service: Service,
    ) -> None:
        try:
            outcome = Outcome(result.outcome or "")
        except ValueError:
            allowed = ", ".join(o.value for o in Outcome)
            raise ProcessFailed(
                f"The process decided {result.outcome!r}, which is not an outcome ({allowed})."
            ) from None
        cited = "; ".join(citation_text(c) for c in result.citations)
        reason = f"{result.reasons.get('uz') or result.outcome} ({cited}). {CONTEST_EXPLANATION['uz']}"
        data = {
            "automated": True,
            "model_digest": package.digest,
            "service_version": service.version,
            "reasons": result.reasons,
            "citations": result.citations,
        }
        automation_run.outcome = outcome.value
        if outcome in NEGATIVE and package.config.confirm_negative:
            # The service wants a person to confirm a refusal before it goes out.
            automation_run.status = RunStatus.confirming
            self._cases.record(
                session,
                case,
                EventKind.process_handed_over,
                f"the rules propose '{outcome.value}'; an officer confirms or changes it: {reason}",
                {**data, "proposed_outcome": outcome.value},
            )
            return
        automation_run.status = RunStatus.decided
        automation_run.decided_at = self.clock()
        self._cases.decide_automatically(session, case, outcome, reason, data)

    def _park(self, agency_id: int, case_id: Any, error: str) -> RunStatus:
        """The step failed and was rolled back: keep the case, tell the officers why (in the timeline)."""
        with self._db.uow() as uow:
            session = uow.session
            automation_run = session.get(AutomationRun, (agency_id, case_id), with_for_update=True)
            case = session.get(Case, (agency_id, case_id), with_for_update=True)
            assert automation_run is not None and case is not None
            self._park_in(session, automation_run, case, error)
            uow.commit()
        return RunStatus.parked

    def _park_in(self, session: Session, automation_run: AutomationRun, case: Case, error: str) -> None:
        automation_run.status, automation_run.error, automation_run.updated_at = (
            RunStatus.parked,
            error,
            self.clock(),
        )
        self._cases.record(
            session,
            case,
            EventKind.automation_parked,
            "the automated process failed; an officer takes over",
            {"error": error},
        )

    # ------------------------------------------------------------------ reading

    def trace(self, actor: Actor, registration_number: str) -> TracePublic:
        """The decision record of a case — or, for a review case, of the decision under review."""
        with self._db.reading() as session:
            case = self._case(session, registration_number)
            policy.ensure_can_read(actor, case)
            if case.relation is CaseRelation.review_of and case.parent_case_id is not None:
                parent = session.get(Case, (case.parent_agency_id, case.parent_case_id))
                assert parent is not None
                case = parent
            automation_run = session.get(AutomationRun, (case.agency_id, case.id))
            if automation_run is None:
                raise TraceNotFound(f"Case {case.registration_number} was not decided by an automated process.")
            public = self._public(session, case, automation_run)
        # The trace shows the applicant's inputs: a read by anyone else is an access record (data tracker),
        # committed before the data is returned.
        self._cases.record_read(actor, case, ("case_form", "decision_trace"))
        return public

    def _case(self, session: Session, registration_number: str, *, for_update: bool = False) -> Case:
        statement = sa.select(Case).where(Case.registration_number == registration_number)
        case = session.scalar(statement.with_for_update() if for_update else statement)
        if case is None:
            raise CaseNotFound(f"There is no case with the number {registration_number}.")
        return case

    def _public(self, session: Session, case: Case, automation_run: AutomationRun) -> TracePublic:
        service = session.get(Service, automation_run.service_id)
        assert service is not None
        trace = automation_run.trace or {}
        contest = None
        if automation_run.status is RunStatus.decided:
            contest = ContestRoute(
                endpoint=f"/api/v1/cases/{case.registration_number}/contest",
                within_days=CONTEST_WINDOW.days,
                citation=CONTEST_CITATION,
                explanation=CONTEST_EXPLANATION,
            )
        review = None
        if automation_run.review_result is not None and automation_run.reviewed_at is not None:
            review_case = (
                self._case(session, automation_run.review_case_number) if automation_run.review_case_number else None
            )
            four_eyes = _four_eyes(session, review_case) if review_case is not None else None
            review = ReviewPublic(
                awaiting_approval=four_eyes is not None and four_eyes.kind is EventKind.decision_proposed,
                sent_back=four_eyes.reason
                if four_eyes is not None and four_eyes.kind is EventKind.decision_sent_back
                else None,
                result=automation_run.review_result,
                outcome=automation_run.review_outcome or "",
                reason=automation_run.review_reason or "",
                review_case=automation_run.review_case_number,
                reviewed_at=automation_run.reviewed_at,
            )
        return TracePublic(
            registration_number=case.registration_number,
            status=automation_run.status,
            service=service.code,
            service_version=service.version,
            model_digest=automation_run.model_digest,
            decisive_date=automation_run.decisive_date,
            outcome=automation_run.outcome,
            reasons=trace.get("reasons", {}),
            citations=[Citation.model_validate(c) for c in trace.get("citations", [])],
            illustrative=_illustrative(trace),
            inputs=trace.get("inputs", {}),
            parameters=trace.get("parameters", {}),
            steps=trace.get("steps", []),
            error=automation_run.error,
            decided_at=automation_run.decided_at,
            contest=contest,
            review=review,
        )

    # ------------------------------------------------------------------ human review

    def review(self, actor: Actor, review_number: str, command: ReviewCommand) -> TracePublic:
        """The officer of the reviewing body confirms or replaces a contested automated decision: the review
        case is decided (sealed and delivered like any decision) and the original case records the result."""
        with self._db.uow() as uow:
            session = uow.session
            review_case = self._case(session, review_number, for_update=True)
            policy.ensure_can_decide(actor, review_case)
            if review_case.relation is not CaseRelation.review_of or review_case.parent_case_id is None:
                raise ReviewRefused(f"Case {review_number} is not the review of a decision.")
            original = session.get(
                Case, (review_case.parent_agency_id, review_case.parent_case_id), with_for_update=True
            )
            assert original is not None
            automation_run = session.get(AutomationRun, (original.agency_id, original.id), with_for_update=True)
            if (
                automation_run is None
                or automation_run.status is not RunStatus.decided
                or automation_run.outcome is None
            ):
                raise ReviewRefused(f"Case {original.registration_number} has no automated decision to review.")
            if automation_run.review_result is not None:
                four_eyes = _four_eyes(session, review_case)
                if four_eyes is None or four_eyes.kind is not EventKind.decision_sent_back:
                    # reviewed once — unless the second officer sent the replacement back (docs/integrity.md)
                    raise ReviewRefused(
                        f"The automated decision of {original.registration_number} was already reviewed."
                    )
            self._cases.record_read(actor, original, ("case_form", "decision_trace"), session)
            if command.result == "confirmed":
                outcome = Outcome(automation_run.outcome)
            elif command.outcome is None or command.outcome.value == automation_run.outcome:
                raise DecisionInputInvalid(
                    "Replacing a decision needs a different outcome.",
                    errors=[FieldError("outcome", f"give an outcome other than {automation_run.outcome}")],
                )
            else:
                outcome = command.outcome
            reason = command.reason.strip()
            decided = self._cases.decide(actor, review_number, outcome, reason, uow=uow)
            now = self.clock()
            data: dict[str, Any] = {
                "result": command.result,
                "outcome": outcome.value,
                "automated_outcome": automation_run.outcome,
                "review_case": review_number,
            }
            if decided.state is not CaseState.decided:  # a reversal waits for a second officer (docs/integrity.md)
                data["awaiting_approval"] = True
            self._cases.record(session, original, EventKind.decision_reviewed, reason, data, actor.account_id)
            automation_run.review_result = ReviewResult(command.result)
            automation_run.review_outcome, automation_run.review_reason = outcome.value, reason
            automation_run.review_case_number, automation_run.reviewed_at = review_number, now
            automation_run.reviewed_by_account_id = actor.account_id
            session.flush()
            view = self._public(session, original, automation_run)
            uow.commit()
            return view

    # ------------------------------------------------------------------ reproducing a decision

    def replay(self, registration_number: str) -> ReplayResult:
        """Re-run a decision on the stored model and the inputs recorded in its trace (registry answers as they
        were then): a decision is reproducible when outcome and fired rules come out the same."""
        with self._db.reading() as session:
            case = self._case(session, registration_number)
            automation_run = session.get(AutomationRun, (case.agency_id, case.id))
            if automation_run is None or not automation_run.trace:
                raise TraceNotFound(f"Case {registration_number} has no automated decision to replay.")
            model = session.get(AutomationModel, automation_run.service_id)
            service = session.get(Service, automation_run.service_id)
            assert model is not None and service is not None and automation_run.decisive_date is not None
            package = packages.from_files(model.files)
            stored = automation_run.trace
            trace = new_trace(package, automation_run.decisive_date, case.form)
            result = run(
                package,
                state=None,
                data=process_data(service.form_schema, case.form),
                trace=trace,
                gateway=StatedAnswers(recorded_answers(stored), source="the decision's trace"),
                inquiry=None,
                at=self.clock(),
            )
        return ReplayResult(
            registration_number=registration_number,
            model_digest=package.digest,
            stored_outcome=stored.get("outcome"),
            replayed_outcome=result.outcome,
            stored_rules=_rules(stored),
            replayed_rules=_rules(result.trace),
        )


def _rules(trace: dict[str, Any]) -> list[str]:
    return [m["rule"] for step in trace.get("steps", []) for m in step.get("matched", [])]


def _illustrative(trace: dict[str, Any]) -> list[str]:
    """The rule sets this decision cites that are not norms of the legal ground (``illustrative`` laws)."""
    laws = {
        m["citation"]["law"]
        for step in trace.get("steps", [])
        for m in step.get("matched", [])
        if m.get("illustrative")
    }
    laws |= {p["citation"]["law"] for p in trace.get("parameters", {}).values() if p.get("illustrative")}
    return sorted(laws)


def _four_eyes(session: Session, review_case: Case) -> CaseEvent | None:
    """The review case's latest four-eyes event while it is undecided: a replacement awaiting the second
    officer (``decision_proposed``) or one sent back with a reason (``decision_sent_back``)."""
    if review_case.state is CaseState.decided or review_case.state is CaseState.closed:
        return None
    return session.scalar(
        sa.select(CaseEvent)
        .where(
            CaseEvent.agency_id == review_case.agency_id,
            CaseEvent.case_id == review_case.id,
            CaseEvent.kind.in_([EventKind.decision_proposed, EventKind.decision_sent_back]),
        )
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
