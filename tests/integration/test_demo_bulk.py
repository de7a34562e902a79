"""The load-test generator (``shaffof demo --bulk``), on SQLite and PostgreSQL: what it writes set-based must
read like cases filed through the domain — timelines that match the event counts, SLA states and next checks
that the monitor agrees with, explained deadlines — and real submissions must continue after it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from shaffof.cases.lifecycle import OPEN_STATES
from shaffof.cases.models import Case, CaseDeadline, CaseEvent
from shaffof.cases.schemas import CaseSubmit
from shaffof.demo.bulk import load_bulk_cases
from shaffof.demo.loader import load_demo
from shaffof.identity import service as identity
from shaffof.identity.models import Account, Role
from shaffof.platform import Platform
from tests.conftest import SERVICES
from tests.factories import APPEAL_FORM


def test_bulk_cases_are_consistent_and_the_monitor_agrees_with_them(platform: Platform) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    load_demo(platform, SERVICES, scale=0.2, bulk=True, now=now)  # the demo's bodies, staff, citizens; 2,000 cases
    with platform.db.uow() as uow:  # a national year: the second load's numbers cross a million
        uow.session.execute(sa.text("UPDATE registration_counters SET last_value = 999990"))
        uow.commit()
    report = load_bulk_cases(platform, 1_000, now=now, chunk=300)  # a second load continues the numbers
    assert report.cases == 1_000 and 0 < report.open < 1_000

    with platform.db.reading() as session:
        cases = list(session.scalars(sa.select(Case)))
        events = dict(session.execute(sa.select(CaseEvent.case_id, sa.func.count()).group_by(CaseEvent.case_id)).all())
        last_seq = dict(
            session.execute(sa.select(CaseEvent.case_id, sa.func.max(CaseEvent.seq)).group_by(CaseEvent.case_id)).all()
        )
        answers = session.scalar(
            sa.select(sa.func.count()).select_from(CaseDeadline).where(CaseDeadline.kind == "answer")
        )
        numbers = {c.registration_number for c in cases}
    assert len(cases) == len(numbers) == answers == 3_000
    assert any(number.endswith("-1000989") for number in numbers)  # all its digits
    policy = platform.cases.sla_policy
    for case in cases:
        assert events[case.id] == last_seq[case.id] == case.event_count, case.registration_number
        assert case.due_at is not None and case.received_at < now
        if case.state in OPEN_STATES:
            expected = policy.state(case.received_at, case.due_at, now)
            assert case.sla_state is expected, case.registration_number
            check = policy.next_check(expected, case.received_at, case.due_at, now)
            assert (case.next_check_at is None) == (check is None)
            if check is not None and case.next_check_at is not None:
                assert check - dt.timedelta(seconds=1) < case.next_check_at <= check  # floored to the second
        else:
            assert case.decided_at is not None and case.decided_at <= case.due_at  # decided in time

    platform.cases.clock = lambda: now
    monitored = platform.monitor_sla()
    assert monitored.changed == {} and monitored.escalated == 0  # the generated states are the monitor's own

    with platform.db.reading() as session:
        auditor = identity.actor_of(identity.find_account_by_login(session, "auditor"))  # type: ignore[arg-type]
        citizen = session.scalar(sa.select(Account).where(Account.role == Role.citizen).limit(1))
        assert citizen is not None
        applicant = identity.actor_of(citizen)
        late = session.scalar(sa.select(Case.registration_number).where(Case.escalation_level == 2).limit(1))
    assert late is not None
    view = platform.cases.get(auditor, late)
    assert view.sla == "long_overdue" and "Due by the end of" in view.deadline.explanation["en"]
    timeline = [e.kind.value for e in platform.cases.timeline(auditor, late)]
    assert timeline[:2] == ["submitted", "registered"] and timeline[-1] == "escalated"

    # Real submissions continue above the generated numbers.
    filed = platform.cases.submit(
        applicant, CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)
    ).case
    assert filed.registration_number not in numbers
