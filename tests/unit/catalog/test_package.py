"""Service packages: the shipped catalogue validates, and every problem is reported with file and path."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from shaffof.catalog.package import Catalogue, PackageProblem, ServicePackage, load_packages

SERVICES = Path(__file__).resolve().parents[3] / "services"
BASE_CODE = "general-ariza"


@pytest.fixture(scope="module")
def base_package() -> dict[str, Any]:
    """A real, valid package (the shipped free-form ariza) to break in one place at a time."""
    return yaml.safe_load((SERVICES / BASE_CODE / "service.yaml").read_text(encoding="utf-8"))


def new_catalogue(directory: Path) -> Path:
    """A package directory holding the shipped agencies.yaml and no service yet."""
    directory.mkdir()
    shutil.copy(SERVICES / "agencies.yaml", directory / "agencies.yaml")
    return directory


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    return new_catalogue(tmp_path / "services")


def write_package(directory: Path, folder: str, data: dict[str, Any] | str) -> Path:
    file = directory / folder / "service.yaml"
    file.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    file.write_text(text, encoding="utf-8")
    return file


def variant(base: dict[str, Any], code: str, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data["code"] = code
    data.update(changes)
    return data


def problems_of(catalogue: Catalogue) -> set[tuple[Path, str]]:
    return {(p.file, p.path) for p in catalogue.problems}


def only_problem(catalogue: Catalogue) -> PackageProblem:
    assert len(catalogue.problems) == 1, catalogue.problems
    return catalogue.problems[0]


# --- the shipped catalogue ------------------------------------------------------------------------


def test_the_shipped_services_validate_without_problems() -> None:
    catalogue = load_packages(SERVICES)
    assert catalogue.problems == []
    assert catalogue.ok
    assert len(catalogue.services) >= 12
    assert len(catalogue.agencies) >= 15


def test_every_shipped_service_lives_in_the_folder_named_after_its_code() -> None:
    catalogue = load_packages(SERVICES)
    assert sorted(s.code for s in catalogue.services) == sorted(f.parent.name for f in SERVICES.glob("*/service.yaml"))


def test_a_valid_copy_of_a_shipped_package_has_no_problems(catalogue_dir: Path, base_package: dict) -> None:
    write_package(catalogue_dir, BASE_CODE, base_package)
    catalogue = load_packages(catalogue_dir)
    assert catalogue.problems == []
    assert [s.code for s in catalogue.services] == [BASE_CODE]


# --- one problem at a time ------------------------------------------------------------------------


def test_invalid_yaml_is_reported_with_line_and_column(catalogue_dir: Path) -> None:
    file = write_package(catalogue_dir, "broken", "code: broken\nname:\n  uz: [unclosed\n  ru: x\n")
    problem = only_problem(load_packages(catalogue_dir))
    assert problem.file == file
    assert problem.path == "line 4, column 5"
    assert problem.message.startswith("not valid YAML")


def test_unknown_agency_is_reported(catalogue_dir: Path, base_package: dict) -> None:
    file = write_package(catalogue_dir, BASE_CODE, variant(base_package, BASE_CODE, agency="NOSUCH"))
    problem = only_problem(load_packages(catalogue_dir))
    assert (problem.file, problem.path) == (file, "agency")
    assert "unknown agency NOSUCH" in problem.message


def test_unknown_recipient_agency_is_reported(catalogue_dir: Path, base_package: dict) -> None:
    data = variant(base_package, BASE_CODE, recipients=["ADLIYA", "NOSUCH"])
    file = write_package(catalogue_dir, BASE_CODE, data)
    problem = only_problem(load_packages(catalogue_dir))
    assert (problem.file, problem.path) == (file, "recipients/1")
    assert "unknown agency NOSUCH" in problem.message


def test_folder_name_must_equal_the_code(catalogue_dir: Path, base_package: dict) -> None:
    file = write_package(catalogue_dir, "some-other-folder", variant(base_package, BASE_CODE))
    problem = only_problem(load_packages(catalogue_dir))
    assert (problem.file, problem.path) == (file, "code")
    assert "'some-other-folder'" in problem.message


def test_form_that_is_not_a_valid_json_schema_is_reported_with_where(catalogue_dir: Path, base_package: dict) -> None:
    form = {"type": "object", "properties": {"subject": {"type": 12}}}
    file = write_package(catalogue_dir, BASE_CODE, variant(base_package, BASE_CODE, form=form))
    problem = only_problem(load_packages(catalogue_dir))
    assert (problem.file, problem.path) == (file, "form")
    assert "not a valid JSON Schema" in problem.message
    assert "properties/subject/type" in problem.message


@pytest.mark.parametrize("form", [{"type": "string"}, {"type": "array"}, {"properties": {}}])
def test_form_must_describe_an_object(catalogue_dir: Path, base_package: dict, form: dict) -> None:
    file = write_package(catalogue_dir, BASE_CODE, variant(base_package, BASE_CODE, form=form))
    problem = only_problem(load_packages(catalogue_dir))
    assert (problem.file, problem.path) == (file, "form")
    assert '"type": "object"' in problem.message


def test_unknown_deadline_policy_is_reported_with_the_known_ones(catalogue_dir: Path, base_package: dict) -> None:
    data = variant(base_package, BASE_CODE, deadline_policy="zru445-someday")
    file = write_package(catalogue_dir, BASE_CODE, data)
    problem = only_problem(load_packages(catalogue_dir))
    assert (problem.file, problem.path) == (file, "deadline_policy")
    assert "unknown deadline policy 'zru445-someday'" in problem.message
    assert "zru445-ariza" in problem.message


@pytest.mark.parametrize(("field", "language"), [("name", "ru"), ("name", "uz"), ("description", "en")])
def test_missing_translation_is_reported(catalogue_dir: Path, base_package: dict, field: str, language: str) -> None:
    data = variant(base_package, BASE_CODE)
    del data[field][language]
    file = write_package(catalogue_dir, BASE_CODE, data)
    problem = only_problem(load_packages(catalogue_dir))
    assert (problem.file, problem.path) == (file, f"{field}/{language}")
    assert "required" in problem.message.lower()


def test_missing_translation_of_a_required_document_name_is_reported(catalogue_dir: Path, base_package: dict) -> None:
    data = variant(base_package, BASE_CODE)
    del data["required_documents"][0]["name"]["en"]
    file = write_package(catalogue_dir, BASE_CODE, data)
    assert problems_of(load_packages(catalogue_dir)) == {(file, "required_documents/0/name/en")}


def test_duplicate_document_code_is_reported(catalogue_dir: Path, base_package: dict) -> None:
    document = base_package["required_documents"][0]
    other = {**copy.deepcopy(document), "code": "other_file"}
    data = variant(base_package, BASE_CODE, required_documents=[document, other, copy.deepcopy(document)])
    file = write_package(catalogue_dir, BASE_CODE, data)
    catalogue = load_packages(catalogue_dir)
    reported = problems_of(catalogue)
    assert (file, "required_documents/2/code") in reported
    assert (file, "required_documents/1/code") not in reported
    assert all("duplicate" in p.message for p in catalogue.problems)


def test_missing_agencies_file_is_reported(catalogue_dir: Path, base_package: dict) -> None:
    (catalogue_dir / "agencies.yaml").unlink()
    write_package(catalogue_dir, BASE_CODE, base_package)
    problem = only_problem(load_packages(catalogue_dir))
    assert problem.file == catalogue_dir / "agencies.yaml"
    assert "missing" in problem.message


def test_agency_with_an_unknown_parent_is_reported(catalogue_dir: Path, base_package: dict) -> None:
    agencies = yaml.safe_load((catalogue_dir / "agencies.yaml").read_text(encoding="utf-8"))
    agencies["agencies"][1]["parent"] = "NOSUCH"
    (catalogue_dir / "agencies.yaml").write_text(yaml.safe_dump(agencies, allow_unicode=True), encoding="utf-8")
    write_package(catalogue_dir, BASE_CODE, base_package)
    problem = only_problem(load_packages(catalogue_dir))
    assert (problem.file, problem.path) == (catalogue_dir / "agencies.yaml", "agencies/1/parent")
    assert "unknown agency NOSUCH" in problem.message


def test_duplicate_agency_code_is_reported(catalogue_dir: Path, base_package: dict) -> None:
    agencies = yaml.safe_load((catalogue_dir / "agencies.yaml").read_text(encoding="utf-8"))
    agencies["agencies"].append(copy.deepcopy(agencies["agencies"][2]))
    (catalogue_dir / "agencies.yaml").write_text(yaml.safe_dump(agencies, allow_unicode=True), encoding="utf-8")
    write_package(catalogue_dir, BASE_CODE, base_package)
    last = len(agencies["agencies"]) - 1
    assert (catalogue_dir / "agencies.yaml", f"agencies/{last}/code") in problems_of(load_packages(catalogue_dir))


def test_a_directory_without_packages_is_reported(catalogue_dir: Path) -> None:
    problem = only_problem(load_packages(catalogue_dir))
    assert problem.file == catalogue_dir
    assert "no */service.yaml" in problem.message


def test_a_problem_reads_as_file_path_and_message(catalogue_dir: Path, base_package: dict) -> None:
    file = write_package(catalogue_dir, BASE_CODE, variant(base_package, BASE_CODE, agency="NOSUCH"))
    assert str(only_problem(load_packages(catalogue_dir))) == f"{file}: agency: unknown agency NOSUCH"


# --- all problems in one pass ---------------------------------------------------------------------


def test_every_problem_of_every_package_is_reported_in_one_pass(catalogue_dir: Path, base_package: dict) -> None:
    broken_yaml = write_package(catalogue_dir, "broken", "code: broken\nname: {uz: x\n")
    unknown_agency = write_package(catalogue_dir, "to-nobody", variant(base_package, "to-nobody", agency="NOSUCH"))
    several = variant(base_package, "several", deadline_policy="never", form={"type": "string"})
    del several["name"]["ru"]
    several_file = write_package(catalogue_dir, "several", several)
    wrong_folder = write_package(catalogue_dir, "folder", variant(base_package, "not-the-folder"))
    valid = write_package(catalogue_dir, BASE_CODE, base_package)

    catalogue = load_packages(catalogue_dir)
    reported = problems_of(catalogue)
    assert {(unknown_agency, "agency"), (wrong_folder, "code")} <= reported
    assert {(several_file, "deadline_policy"), (several_file, "form"), (several_file, "name/ru")} <= reported
    assert any(file == broken_yaml and path.startswith("line ") for file, path in reported)
    assert valid not in {file for file, _ in reported}
    assert not catalogue.ok


def test_a_package_with_field_errors_still_has_its_agency_checked(catalogue_dir: Path, base_package: dict) -> None:
    data = variant(base_package, BASE_CODE, agency="NOSUCH")
    del data["name"]["ru"]
    file = write_package(catalogue_dir, BASE_CODE, data)
    assert problems_of(load_packages(catalogue_dir)) == {(file, "name/ru"), (file, "agency")}


# --- content hash ---------------------------------------------------------------------------------


def load_one(directory: Path) -> ServicePackage:
    catalogue = load_packages(directory)
    assert catalogue.problems == []
    (package,) = catalogue.services
    return package


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def test_content_hash_is_a_sha256_hex_digest(catalogue_dir: Path, base_package: dict) -> None:
    write_package(catalogue_dir, BASE_CODE, base_package)
    digest = load_one(catalogue_dir).content_hash()
    assert len(digest) == 64
    assert int(digest, 16) >= 0


@pytest.mark.parametrize(
    "render",
    [
        lambda data: yaml.safe_dump(reversed_keys(data), allow_unicode=True, sort_keys=False),
        lambda data: yaml.safe_dump(data, allow_unicode=False, sort_keys=True, default_flow_style=True, width=60),
        lambda data: json.dumps(reversed_keys(data), ensure_ascii=True, indent=4),  # JSON is YAML too
    ],
    ids=["reversed-key-order", "flow-style-escaped", "json-text"],
)
def test_content_hash_ignores_key_order_and_formatting(tmp_path: Path, base_package: dict, render: Any) -> None:
    original, rewritten = new_catalogue(tmp_path / "a"), new_catalogue(tmp_path / "b")
    # The shipped file exactly as its author wrote it, against a re-rendering of the same data.
    write_package(original, BASE_CODE, (SERVICES / BASE_CODE / "service.yaml").read_text(encoding="utf-8"))
    write_package(rewritten, BASE_CODE, render(base_package))
    assert load_one(rewritten).content_hash() == load_one(original).content_hash()


def test_content_hash_ignores_an_omitted_default(tmp_path: Path, base_package: dict) -> None:
    explicit, implicit = new_catalogue(tmp_path / "a"), new_catalogue(tmp_path / "b")
    assert base_package["assurance_level"] == "substantial"  # the model's default
    without = copy.deepcopy(base_package)
    del without["assurance_level"]
    write_package(explicit, BASE_CODE, base_package)
    write_package(implicit, BASE_CODE, without)
    assert load_one(explicit).content_hash() == load_one(implicit).content_hash()


def _set_name_en(d: dict) -> None:
    d["name"]["en"] += "!"


def _set_max_length(d: dict) -> None:
    d["form"]["properties"]["text"]["maxLength"] += 1


def _set_optional(d: dict) -> None:
    d["required_documents"][0]["required"] = not d["required_documents"][0]["required"]


def _set_fee(d: dict) -> None:
    d["fee"]["amount"] = 1000


def _set_policy(d: dict) -> None:
    d["deadline_policy"] = "zru445-shikoyat"


def _drop_citation(d: dict) -> None:
    d["legal_basis"].pop()


@pytest.mark.parametrize(
    "change", [_set_name_en, _set_max_length, _set_optional, _set_fee, _set_policy, _drop_citation]
)
def test_content_hash_changes_when_a_field_changes(tmp_path: Path, base_package: dict, change: Any) -> None:
    before, after = new_catalogue(tmp_path / "a"), new_catalogue(tmp_path / "b")
    changed = copy.deepcopy(base_package)
    change(changed)
    write_package(before, BASE_CODE, base_package)
    write_package(after, BASE_CODE, changed)
    assert load_one(after).content_hash() != load_one(before).content_hash()
