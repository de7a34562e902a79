"""The integrity domain service: it implements the cases domain's :class:`~shaffof.cases.interfaces.CaseIntegrity`
hooks (fair assignment, recusal, four-eyes) and the oversight operations (conflicts, recusal log, the
monitor's findings, the officer accountability report).

Refusals are logged even though the refused operation rolls back: the record is written in its own
transaction once the operation's transaction has ended (``UnitOfWork.on_rollback`` / ``on_commit``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.cases.interfaces import ApprovedDecision, Assignment
from shaffof.cases.models import Case, CaseRelation, Outcome
from shaffof.catalog.models import Agency, Service
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.db.uow import UnitOfWork, keep
from shaffof.errors import FieldError
from shaffof.identity import pinfl as pinfls
from shaffof.identity.actor import Actor
from shaffof.identity.models import Account, Person, Role
from shaffof.integrity import assignment, policy
from shaffof.integrity.errors import (
    DecisionAwaitsApproval,
    FindingNotFound,
    FourEyesRefused,
    IntegrityAccessDenied,
    NoPendingDecision,
    NotAnOfficerOfTheBody,
    ReasonRequired,
    Recused,
    UnknownReference,
)
from shaffof.integrity.interfaces import FamilyTies, PersonalDataAccessLog
from shaffof.integrity.models import (
    AssignmentRule,
    ConflictDeclaration,
    DecisionProposal,
    Finding,
    FindingStatus,
    OfficerProfile,
    ProposalStatus,
    RecusalReason,
    RecusalRecord,
)
from shaffof.integrity.monitor import CHECKS, Context, Hit
from shaffof.integrity.recusal import recusal_reason, recusal_reasons
from shaffof.integrity.report import officer_report
from shaffof.integrity.rules import RULES, IntegrityRule
from shaffof.integrity.schemas import (
    AssignmentRuleSet,
    FindingPublic,
    OfficerLine,
    ProposalPublic,
    RecusalPublic,
    RulePublic,
    ScanSummary,
)
from shaffof.observability import get_logger

log = get_logger("shaffof.integrity")

MIN_REASON = 3
REVERSING = (Outcome.approved, Outcome.partially_approved)  # a complaint upheld on review reverses the decision


def required_reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise ReasonRequired(
            "Say why: a reason of at least three characters is required, and it is kept on record.",
            errors=[FieldError(field, "required")],
        )
    return text


@dataclass(frozen=True)
class _Refusal:
    agency_id: int
    case_id: uuid.UUID
    registration_number: str
    account_id: int
    operation: str
    reason: RecusalReason
    at: dt.datetime

    def row(self) -> RecusalRecord:
        return RecusalRecord(**self.__dict__)


class Integrity:
    """Built once by the composition root (platform.py)."""

    def __init__(
        self,
        db: Database,
        *,
        family_ties: FamilyTies | None = None,
        access_log: PersonalDataAccessLog | None = None,
        rules: Sequence[IntegrityRule] = RULES,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self.family_ties = family_ties  # the population registry's relations, connected in platform.py
        self.access_log = access_log  # the registries domain's personal-data access log
        self.rules = tuple(rules)
        self.clock = clock

    # ------------------------------------------------------------------ assignment (CaseIntegrity)

    def assign(self, session: Session, case: Case, at: dt.datetime) -> Assignment:
        service = session.get(Service, case.service_id)
        assert service is not None
        rule = assignment.resolve_rule(session, case, service)
        officers = assignment.officers_of(session, case.agency_id)
        profiles = assignment.profiles_of(session, officers)
        skilled = [
            officer
            for officer in officers
            if not rule.skills or set(rule.skills) <= set(profiles[officer.id].skills if officer.id in profiles else [])
        ]
        recused = recusal_reasons(session, skilled, case, self.family_ties)
        eligible = []
        for officer in skilled:
            why = recused.get(officer.id)
            if why is not None:  # logged for the head; the case's timeline does not say who or why
                session.add(_refusal(case, officer.id, "assign", why, at).row())
                continue
            eligible.append(officer)
        loads = assignment.open_loads(session, case.agency_id, [o.id for o in eligible])
        chosen, data = assignment.choose(rule, eligible, profiles, loads)
        if chosen is not None:
            keep(session, chosen)  # the case's view names the assignee
            self._note_routed(session, chosen.id, case.agency_id, at)
        return Assignment(chosen.id if chosen else None, data)

    def _note_routed(self, session: Session, account_id: int, agency_id: int, at: dt.datetime) -> None:
        latest = session.scalar(
            sa.select(sa.func.max(OfficerProfile.rotation))
            .join(Account, Account.id == OfficerProfile.account_id)
            .where(Account.agency_id == agency_id)
        )
        profile = _profile(session, account_id)
        profile.rotation = (latest or 0) + 1
        profile.last_assigned_at = at

    def reassign(
        self, session: Session, actor: Actor, case: Case, officer_login: str, reason: str, at: dt.datetime
    ) -> Assignment:
        text = required_reason(reason)
        target = session.scalar(sa.select(Account).where(Account.login == officer_login))
        if (
            target is None
            or target.role is not Role.officer
            or target.agency_id != case.agency_id
            or not target.is_active
        ):
            raise NotAnOfficerOfTheBody(
                f"{officer_login!r} is not an active officer of the body handling case {case.registration_number}.",
                errors=[FieldError("officer", "not an officer of this body")],
            )
        why = recusal_reason(session, target, case, self.family_ties)
        if why is not None:  # the head may know why
            self._remember(session, _refusal(case, target.id, "assign", why, at))
            raise Recused(
                f"{target.display_name} is recused from case {case.registration_number} ({why.value}); choose "
                "another officer.",
                errors=[FieldError("officer", "recused")],
            )
        self._note_routed(session, target.id, case.agency_id, at)
        log.info("case reassigned", case=case.registration_number, by=actor.account_id, to=target.id)
        return Assignment(
            target.id, {"rule": "manual", "from": case.assignee_account_id, "to": target.id, "reason": text}
        )

    # ------------------------------------------------------------------ recusal (CaseIntegrity)

    def ensure_may_act(self, session: Session, actor: Actor, case: Case, operation: str, at: dt.datetime) -> None:
        if operation == "decide" and self._pending(session, case) is not None:
            raise DecisionAwaitsApproval(
                f"A decision on case {case.registration_number} awaits a second officer's approval; it must be "
                "approved or sent back first."
            )
        account = session.get(Account, actor.account_id)
        assert account is not None
        why = recusal_reason(session, account, case, self.family_ties)
        if why is None:
            return
        self._remember(session, _refusal(case, account.id, operation, why, at))
        log.info("recusal refused an operation", case=case.registration_number, account=account.id, op=operation)
        raise Recused(
            f"You cannot {operation} case {case.registration_number}: you have a conflict of interest with it "
            "(yourself, a declared conflict, a family member, or your own decision under review). The refusal is "
            "recorded for the head of the body, who can reassign the case."
        )

    def _remember(self, session: Session, refusal: _Refusal) -> None:
        """Write the refusal after the operation's transaction ends, whether it commits or rolls back."""

        def write() -> None:
            try:
                with self._db.uow() as own:
                    own.session.add(refusal.row())
                    own.commit()
            except Exception:  # the refusal itself stands; never mask it with a logging failure
                log.exception("recusal record could not be written", case=refusal.registration_number)

        unit = UnitOfWork.of(session)
        unit.on_rollback(write)
        unit.on_commit(write)

    def recusals(self, actor: Actor, *, limit: int = 200) -> list[RecusalPublic]:
        scope = policy.oversight_scope(actor)
        with self._db.reading() as session:
            statement = (
                sa.select(RecusalRecord, Account.display_name)
                .join(Account, Account.id == RecusalRecord.account_id)
                .order_by(RecusalRecord.at.desc(), RecusalRecord.id.desc())
                .limit(limit)
            )
            if scope is not None:
                statement = statement.where(RecusalRecord.agency_id == scope)
            return [
                RecusalPublic(case=r.registration_number, officer=name, operation=r.operation, reason=r.reason, at=r.at)
                for r, name in session.execute(statement)
            ]

    def declare_conflict(self, actor: Actor, pinfl: str, reason: str) -> None:
        """An officer declares a conflict of interest with a person: they are never assigned, and cannot take
        or decide, that person's cases."""
        policy.ensure_can_declare(actor)
        text = required_reason(reason)
        try:
            pinfls.parse(pinfl)
        except pinfls.InvalidPinfl as error:
            raise UnknownReference(
                f"The PINFL is malformed: {error}", errors=[FieldError("pinfl", str(error))]
            ) from None
        with self._db.uow() as uow:
            person = uow.session.scalar(sa.select(Person).where(Person.pinfl == pinfl))
            if person is None:
                raise UnknownReference(
                    "No person with this PINFL is known; check the 14 digits.",
                    errors=[FieldError("pinfl", "unknown person")],
                )
            uow.session.add(
                ConflictDeclaration(
                    account_id=actor.account_id, person_id=person.id, reason=text, declared_at=self.clock()
                )
            )
            uow.commit()

    # ------------------------------------------------------------------ four-eyes (CaseIntegrity)

    def needs_second_approval(self, session: Session, case: Case, outcome: Outcome) -> str | None:
        if case.relation is CaseRelation.review_of and outcome in REVERSING:
            return "reversal_on_review"  # any reversal on review always needs a second officer
        service = session.get(Service, case.service_id)
        assert service is not None
        if outcome.value in (service.integrity or {}).get("four_eyes", []):
            return "service_declares"
        return None

    def propose(
        self, session: Session, actor: Actor, case: Case, outcome: Outcome, reason: str, why: str, at: dt.datetime
    ) -> dict[str, Any]:
        seq = case.event_count + 1  # the decision_proposed event about to be appended
        session.add(
            DecisionProposal(
                agency_id=case.agency_id,
                case_id=case.id,
                seq=seq,
                outcome=outcome,
                reason=reason,
                why=why,
                proposed_by_account_id=actor.account_id,
                proposed_at=at,
                status=ProposalStatus.pending,
            )
        )
        return {"outcome": outcome.value, "four_eyes": why, "proposal": seq}

    def _pending(self, session: Session, case: Case) -> DecisionProposal | None:
        return session.scalar(
            sa.select(DecisionProposal).where(
                DecisionProposal.agency_id == case.agency_id,
                DecisionProposal.case_id == case.id,
                DecisionProposal.status == ProposalStatus.pending,
            )
        )

    def _second_officer(
        self, session: Session, actor: Actor, case: Case, operation: str, at: dt.datetime
    ) -> DecisionProposal:
        proposal = self._pending(session, case)
        if proposal is None:
            raise NoPendingDecision(f"No decision on case {case.registration_number} awaits approval.")
        if proposal.proposed_by_account_id == actor.account_id:
            log.info("four-eyes refused the proposer", case=case.registration_number, account=actor.account_id)
            raise FourEyesRefused(
                f"You proposed the decision on case {case.registration_number}; a second officer of the body must "
                f"{operation} it (four-eyes)."
            )
        self.ensure_may_act(session, actor, case, operation, at)
        return proposal

    def approve(self, session: Session, actor: Actor, case: Case, at: dt.datetime) -> ApprovedDecision:
        proposal = self._second_officer(session, actor, case, "approve", at)
        proposal.status, proposal.resolved_by_account_id, proposal.resolved_at = (
            ProposalStatus.approved,
            actor.account_id,
            at,
        )
        return ApprovedDecision(
            proposed_by_account_id=proposal.proposed_by_account_id,
            outcome=proposal.outcome,
            reason=proposal.reason,
            data={
                "four_eyes": proposal.why,
                "proposal": proposal.seq,
                "proposed_by": proposal.proposed_by_account_id,
                "approved_by": actor.account_id,
            },
        )

    def send_back(self, session: Session, actor: Actor, case: Case, reason: str, at: dt.datetime) -> dict[str, Any]:
        text = required_reason(reason)
        proposal = self._second_officer(session, actor, case, "send back", at)
        proposal.status, proposal.resolved_by_account_id, proposal.resolved_at = (
            ProposalStatus.sent_back,
            actor.account_id,
            at,
        )
        proposal.resolution_reason = text
        return {"proposal": proposal.seq, "outcome": proposal.outcome.value}

    def awaiting_approval(self, session: Session, cases: list[Case]) -> set[Any]:
        if not cases:
            return set()
        return set(
            session.scalars(
                sa.select(DecisionProposal.case_id).where(
                    DecisionProposal.status == ProposalStatus.pending,
                    DecisionProposal.case_id.in_([c.id for c in cases]),
                )
            )
        )

    def pending_approvals(self, actor: Actor, *, case: str | None = None) -> list[ProposalPublic]:
        """The body's decisions awaiting a second officer (for officers and heads of the body); with ``case``,
        only that case's (its page asks for that case alone, not for the body's whole list)."""
        if not actor.is_agency_staff or actor.agency_id is None:
            raise IntegrityAccessDenied("Only officers and heads of a body approve decisions.")
        with self._db.reading() as session:
            statement = (
                sa.select(DecisionProposal, Case.registration_number, Account.display_name)
                .join(Case, sa.and_(Case.agency_id == DecisionProposal.agency_id, Case.id == DecisionProposal.case_id))
                .join(Account, Account.id == DecisionProposal.proposed_by_account_id)
                .where(DecisionProposal.agency_id == actor.agency_id, DecisionProposal.status == ProposalStatus.pending)
                .order_by(DecisionProposal.proposed_at)
            )
            if case is not None:
                statement = statement.where(Case.registration_number == case)
            rows = session.execute(statement).all()
            return [
                ProposalPublic(
                    case=number,
                    outcome=p.outcome,
                    reason=p.reason,
                    why=p.why,
                    proposed_by=name,
                    proposed_at=p.proposed_at,
                    status=p.status,
                )
                for p, number, name in rows
            ]

    def officers(self, actor: Actor) -> list[tuple[str, str]]:
        """The active officers of the head's body as (login, name): whom a case may be reassigned to."""
        if actor.role is not Role.head or actor.agency_id is None:
            raise IntegrityAccessDenied("Only the head of the body reassigns its cases.")
        with self._db.reading() as session:
            return [(a.login, a.display_name) for a in assignment.officers_of(session, actor.agency_id)]

    # ------------------------------------------------------------------ administration (CLI, admin API)

    def set_officer(
        self, uow: UnitOfWork, login: str, *, skills: list[str] | None = None, pinfl: str | None = None
    ) -> Account:
        """Set an officer's skill tags and link the officer's account to their own person record."""
        session = uow.session
        account = session.scalar(sa.select(Account).where(Account.login == login))
        if account is None or account.role not in (Role.officer, Role.head):
            raise NotAnOfficerOfTheBody(f"{login!r} is not an officer.", errors=[FieldError("login", "not an officer")])
        if pinfl is not None:
            person = session.scalar(sa.select(Person).where(Person.pinfl == pinfl))
            if person is None:
                raise UnknownReference(
                    f"No person with the PINFL {pinfl} is known.", errors=[FieldError("pinfl", "unknown person")]
                )
            account.person_id = person.id
        if skills is not None:
            _profile(session, account.id).skills = sorted(set(skills))
        session.flush()
        return account

    def set_assignment_rule(self, uow: UnitOfWork, command: AssignmentRuleSet) -> AssignmentRule:
        session = uow.session
        agency = session.scalar(sa.select(Agency).where(Agency.code == command.agency))
        if agency is None:
            raise UnknownReference(f"No agency {command.agency!r}.", errors=[FieldError("agency", "unknown")])
        rule = session.scalar(
            sa.select(AssignmentRule).where(
                AssignmentRule.agency_id == agency.id,
                AssignmentRule.service_code.is_(None)
                if command.service is None
                else AssignmentRule.service_code == command.service,
            )
        )
        if rule is None:
            rule = AssignmentRule(agency_id=agency.id, service_code=command.service, created_at=self.clock())
            session.add(rule)
        rule.strategy, rule.skills = command.strategy, sorted(set(command.skills))
        session.flush()
        return rule

    # ------------------------------------------------------------------ the monitor

    def rule_views(self, language: str = "en") -> list[RulePublic]:
        return [
            RulePublic(
                code=r.code,
                severity=r.severity,
                title=r.title.get(language, r.title["en"]),
                description=r.description.get(language, r.description["en"]),
                citation=r.citation,
                basis=r.basis,
                params=r.params,
            )
            for r in self.rules
        ]

    def scan(self, progress: Callable[[str, int, int], None] | None = None) -> ScanSummary:
        """Run every rule once; new hits become open findings, known ones are touched (idempotent). Each rule
        runs and stores in its own transaction, so a long scan never holds one lock for long."""
        now = self.clock()
        ctx = Context(now=now, access_log=self.access_log)
        checked: list[str] = []
        not_run: dict[str, str] = {}
        new = seen = 0
        for index, rule in enumerate(self.rules):
            if rule.code == "access_without_case" and self.access_log is None:
                not_run[rule.code] = "no personal-data access log is connected (registries domain)"
            else:
                with self._db.uow() as uow:
                    hits = list(CHECKS[rule.code](uow.session, rule, ctx))
                    added, touched = self._store(uow.session, rule, hits, now)
                    uow.commit()
                new, seen = new + added, seen + touched
                checked.append(rule.code)
            if progress is not None:
                progress(rule.code, index + 1, len(self.rules))
        with self._db.reading() as session:
            open_total = session.scalar(
                sa.select(sa.func.count()).select_from(Finding).where(Finding.status == FindingStatus.open)
            )
        return ScanSummary(checked_rules=checked, not_run=not_run, new=new, seen_again=seen, open_total=open_total or 0)

    @staticmethod
    def _store(session: Session, rule: IntegrityRule, hits: list[Hit], now: dt.datetime) -> tuple[int, int]:
        known = (
            {
                f.subject: f
                for f in session.scalars(
                    sa.select(Finding).where(
                        Finding.rule_code == rule.code, Finding.subject.in_([h.subject for h in hits])
                    )
                )
            }
            if hits
            else {}
        )
        added = 0
        for hit in hits:
            finding = known.get(hit.subject)
            if finding is not None:
                finding.last_seen_at, finding.detail = now, hit.detail
                continue
            session.add(
                Finding(
                    rule_code=rule.code,
                    subject=hit.subject,
                    severity=rule.severity,
                    agency_id=hit.agency_id,
                    case_id=hit.case_id,
                    registration_number=hit.registration_number,
                    account_id=hit.account_id,
                    detail=hit.detail,
                    first_seen_at=now,
                    last_seen_at=now,
                    status=FindingStatus.open,
                )
            )
            added += 1
        return added, len(hits) - added

    def findings(
        self, actor: Actor, *, status: FindingStatus | None = FindingStatus.open, language: str = "en", limit: int = 500
    ) -> list[FindingPublic]:
        """The board of findings: the head's body's, or every body's for an auditor; most severe first."""
        scope = policy.oversight_scope(actor)
        with self._db.reading() as session:
            statement = sa.select(Finding)
            if scope is not None:
                statement = statement.where(Finding.agency_id == scope)
            if status is not None:
                statement = statement.where(Finding.status == status)
            rows = list(
                session.scalars(statement.order_by(Finding.first_seen_at.desc(), Finding.id.desc()).limit(limit))
            )
            return self._finding_views(session, rows, language)

    def _finding_views(self, session: Session, rows: list[Finding], language: str) -> list[FindingPublic]:
        rules = {r.code: r for r in self.rules}
        rank = {"high": 0, "medium": 1, "low": 2}
        agencies = dict(session.execute(sa.select(Agency.id, Agency.code)).all())
        people = {f.account_id for f in rows if f.account_id} | {
            f.dismissed_by_account_id for f in rows if f.dismissed_by_account_id
        }
        names = (
            dict(session.execute(sa.select(Account.id, Account.display_name).where(Account.id.in_(people))).all())
            if people
            else {}
        )
        views = []
        for f in sorted(rows, key=lambda f: rank[f.severity.value]):
            rule = rules.get(f.rule_code)
            views.append(
                FindingPublic(
                    id=f.id,
                    rule=f.rule_code,
                    title=rule.title.get(language, rule.title["en"]) if rule else f.rule_code,
                    severity=f.severity,
                    basis=rule.basis if rule else "",
                    agency=agencies.get(f.agency_id) if f.agency_id else None,
                    case=f.registration_number,
                    officer=names.get(f.account_id) if f.account_id else None,
                    detail=f.detail,
                    first_seen_at=f.first_seen_at,
                    last_seen_at=f.last_seen_at,
                    status=f.status,
                    dismissed_by=names.get(f.dismissed_by_account_id) if f.dismissed_by_account_id else None,
                    dismissed_at=f.dismissed_at,
                    dismissal_reason=f.dismissal_reason,
                )
            )
        return views

    def report(self, actor: Actor, agency_code: str | None = None) -> list[OfficerLine]:
        """The officer accountability report of one body: the head's own, or any body's for an auditor."""
        scope = policy.oversight_scope(actor)
        with self._db.reading() as session:
            if agency_code is not None:
                agency_id = session.scalar(sa.select(Agency.id).where(Agency.code == agency_code))
                if agency_id is None:
                    raise UnknownReference(f"No agency {agency_code!r}.", errors=[FieldError("agency", "unknown")])
            elif scope is not None:
                agency_id = scope
            else:
                raise UnknownReference(
                    "Name the body whose officers to report on.", errors=[FieldError("agency", "required")]
                )
            if scope is not None and agency_id != scope:
                raise IntegrityAccessDenied("The head of a body sees only their own body's officers.")
            return officer_report(session, agency_id)

    def dismiss(self, actor: Actor, finding_id: int, reason: str) -> FindingPublic:
        """A false positive is dismissed by the head of the body, with a reason (refused without one). The
        finding stays dismissed when the monitor sees the same thing again."""
        with self._db.uow() as uow:
            finding = uow.session.get(Finding, finding_id, with_for_update=True)
            if finding is None:
                raise FindingNotFound(f"There is no finding {finding_id}.")
            policy.ensure_can_dismiss(actor, finding.agency_id)
            text = required_reason(reason)
            finding.status = FindingStatus.dismissed
            finding.dismissed_by_account_id, finding.dismissed_at, finding.dismissal_reason = (
                actor.account_id,
                self.clock(),
                text,
            )
            uow.session.flush()
            view = self._finding_views(uow.session, [finding], "en")[0]
            uow.commit()
        log.info("finding dismissed", finding=finding_id, by=actor.account_id)
        return view


def _refusal(case: Case, account_id: int, operation: str, why: RecusalReason, at: dt.datetime) -> _Refusal:
    return _Refusal(case.agency_id, case.id, case.registration_number, account_id, operation, why, at)


def _profile(session: Session, account_id: int) -> OfficerProfile:
    profile = session.get(OfficerProfile, account_id)
    if profile is None:
        profile = OfficerProfile(account_id=account_id, skills=[], rotation=0)
        session.add(profile)
    return profile
