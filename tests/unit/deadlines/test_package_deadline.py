"""A service package's own deadline block (catalog/package.py): a policy named after the service, refused
when it cites nothing."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from shaffof.catalog.package import load_packages

REPO = Path(__file__).resolve().parents[3]
SERVICES = REPO / "services"
BLOCK = {
    "amount": 10,
    "unit": "working_days",
    "citation": {"law": "Cabinet resolution 1", "title": "Ten working days for this service"},
}


@pytest.fixture
def package() -> dict[str, Any]:
    return yaml.safe_load((SERVICES / "general-ariza" / "service.yaml").read_text(encoding="utf-8"))


def problems(tmp_path: Path, data: dict[str, Any]) -> dict[str, str]:
    directory = tmp_path / "services"
    directory.mkdir()
    shutil.copy(SERVICES / "agencies.yaml", directory / "agencies.yaml")
    folder = directory / data["code"]
    folder.mkdir()
    (folder / "service.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return {p.path: p.message for p in load_packages(directory).problems}


def test_a_deadline_block_replaces_the_statutory_policy(tmp_path: Path, package: dict[str, Any]) -> None:
    data = copy.deepcopy(package)
    del data["deadline_policy"]
    data["deadline"] = BLOCK
    assert problems(tmp_path, data) == {}
    catalogue = load_packages(tmp_path / "services")
    assert catalogue.services[0].effective_deadline_policy == "general-ariza"


def test_a_deadline_that_cites_nothing_is_refused(tmp_path: Path, package: dict[str, Any]) -> None:
    data = copy.deepcopy(package)
    del data["deadline_policy"]
    data["deadline"] = {k: v for k, v in BLOCK.items() if k != "citation"}
    assert problems(tmp_path, data) == {"deadline/citation": "Field required"}


@pytest.mark.parametrize("both", [True, False])
def test_exactly_one_of_deadline_policy_and_deadline(tmp_path: Path, package: dict[str, Any], both: bool) -> None:
    data = copy.deepcopy(package)
    if both:
        data["deadline"] = BLOCK
    else:
        del data["deadline_policy"]
    [(path, message)] = problems(tmp_path, data).items()
    assert path == "(root)" and ("not both" in message if both else "not neither" in message)


def test_the_former_policy_names_are_still_accepted(tmp_path: Path, package: dict[str, Any]) -> None:
    assert problems(tmp_path, package | {"deadline_policy": "zru445-ariza"}) == {}


def test_bad_settings_are_reported_where_they_are(tmp_path: Path, package: dict[str, Any]) -> None:
    data = copy.deepcopy(package)
    del data["deadline_policy"]
    data["deadline"] = BLOCK | {"unit": "fortnights", "amount": -1, "working_week": "four_days"}
    assert set(problems(tmp_path, data)) == {"deadline/unit", "deadline/amount", "deadline/working_week"}
