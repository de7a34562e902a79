"""Registration numbers stay unique and gapless, and retries stay idempotent, under concurrent submissions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from shaffof.cases.models import Case
from shaffof.cases.schemas import CaseSubmit
from tests.factories import APPEAL_FORM, World

THREADS = 8
PER_THREAD = 6


def command() -> CaseSubmit:
    return CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)


def test_concurrent_submissions_get_unique_gapless_numbers(world: World) -> None:
    cases = world.platform.cases
    citizens = [world.actors["alice"], world.actors["bob"]]

    def worker(index: int) -> list[str]:
        actor = citizens[index % 2]
        return [cases.submit(actor, command()).case.registration_number for _ in range(PER_THREAD)]

    with ThreadPoolExecutor(THREADS) as pool:
        numbers = [n for batch in pool.map(worker, range(THREADS)) for n in batch]
    assert len(numbers) == len(set(numbers)) == THREADS * PER_THREAD
    serials = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert serials == list(range(1, THREADS * PER_THREAD + 1))


def test_concurrent_retries_with_one_key_file_one_case(world: World) -> None:
    cases = world.platform.cases
    alice = world.actors["alice"]

    def retry(_: int) -> tuple[str, bool]:
        result = cases.submit(alice, command(), idempotency_key="same-key-from-a-flaky-network")
        return result.case.registration_number, result.created

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(retry, range(THREADS)))
    assert len({number for number, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    with world.platform.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
