"""Service packages: validation with file and path, import, versioning (cases keep their version)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shaffof.catalog.errors import CatalogueInvalid
from shaffof.catalog.service import get_service, import_packages
from shaffof.cli.main import app as cli
from tests.conftest import SERVICES
from tests.factories import APPEAL_FORM, World, token


def copy_services(tmp_path: Path) -> Path:
    target = tmp_path / "services"
    shutil.copytree(SERVICES, target)
    return target


def test_services_are_listed_searchable_and_described(client: TestClient, world: World) -> None:
    services = client.get("/api/v1/services").json()
    assert len(services) >= 12
    assert {
        "birth-certificate-copy",
        "residence-registration",
        "passport-replacement",
        "business-registration",
        "building-permit",
        "child-allowance",
        "land-plot-allocation",
        "pension-record-correction",
        "appeal-to-hokimiyat",
        "proposal-to-ministry",
        "complaint-about-public-servant",
    } <= {s["code"] for s in services}
    found = client.get("/api/v1/services", params={"q": "passport"}).json()
    assert [s["code"] for s in found] == ["passport-replacement"]
    detail = client.get("/api/v1/services/appeal-to-hokimiyat").json()
    assert detail["legal_basis"][0]["law"] == "ZRU-445"
    assert set(detail["name"]) == {"uz", "ru", "en"}
    assert detail["form_schema"]["type"] == "object"
    agencies = {a["code"]: a for a in client.get("/api/v1/agencies").json()}
    assert len(agencies) == 15 and agencies["YUNUSHOK"]["parent"] == "TOSHHOK"


def test_a_changed_package_is_a_new_version_and_old_cases_keep_theirs(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    alice = token(client, "alice")
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    old_case = client.post("/api/v1/cases", json=body, headers=alice).json()
    assert old_case["service"]["version"] == 1

    services = copy_services(tmp_path)
    file = services / "appeal-to-hokimiyat" / "service.yaml"
    package = yaml.safe_load(file.read_text())
    package["name"]["en"] = "Appeal to a district or city hokimiyat"
    file.write_text(yaml.safe_dump(package, allow_unicode=True))
    with world.platform.db.uow() as uow:
        report = import_packages(uow, services)
    assert report.services_new_version == ["appeal-to-hokimiyat v2"]
    assert "birth-certificate-copy" in report.services_unchanged

    assert client.get("/api/v1/services/appeal-to-hokimiyat").json()["version"] == 2
    new_case = client.post("/api/v1/cases", json=body, headers=alice).json()
    assert new_case["service"]["version"] == 2
    assert (
        client.get(f"/api/v1/cases/{old_case['registration_number']}", headers=alice).json()["service"]["version"] == 1
    )
    with world.platform.db.uow() as uow:  # importing the same packages again changes nothing
        again = import_packages(uow, services)
    assert again.services_new_version == [] and again.services_created == []


def test_services_validate_reports_each_error_with_file_and_path(tmp_path: Path) -> None:
    services = copy_services(tmp_path)
    file = services / "general-ariza" / "service.yaml"
    package = yaml.safe_load(file.read_text())
    package["agency"] = "NOWHERE"
    package["deadline_policy"] = "whenever"
    del package["name"]["ru"]
    file.write_text(yaml.safe_dump(package, allow_unicode=True))
    (services / "tax-id-certificate" / "service.yaml").write_text("code: [unclosed\n")

    result = CliRunner().invoke(cli, ["services", "validate", str(services)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    ariza = f"{services}/general-ariza/service.yaml"
    assert f"{ariza}: name/ru: Field required" in lines
    assert any(line.startswith(f"{ariza}: deadline_policy: ") and "'whenever'" in line for line in lines)
    assert any(
        line.startswith(f"{services}/tax-id-certificate/service.yaml: line 2, column 1: not valid YAML")
        for line in lines
    )
    assert f"{ariza}: agency: unknown agency NOWHERE" in lines
    assert "4 problem(s)." in lines
    ok = CliRunner().invoke(cli, ["services", "validate", str(SERVICES)])
    assert ok.exit_code == 0 and "OK" in ok.output


def test_an_invalid_catalogue_imports_nothing(world: World, tmp_path: Path) -> None:
    services = copy_services(tmp_path)
    (services / "general-ariza" / "service.yaml").write_text("code: general-ariza\n")
    file = services / "appeal-to-hokimiyat" / "service.yaml"
    package = yaml.safe_load(file.read_text())
    package["name"]["en"] = "Changed"
    file.write_text(yaml.safe_dump(package, allow_unicode=True))
    with pytest.raises(CatalogueInvalid) as refused, world.platform.db.uow() as uow:
        import_packages(uow, services)
    assert any("general-ariza" in e.path for e in refused.value.errors)
    with world.platform.db.reading() as session:
        assert get_service(session, "appeal-to-hokimiyat").version == 1
