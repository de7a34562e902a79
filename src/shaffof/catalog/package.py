"""Service packages: ``services/<code>/service.yaml``, and for automated decisions ``automation.yaml`` with
``process.bpmn`` and DMN tables (read by :mod:`shaffof.automation.package`).

``load_packages`` reads a directory and reports *every* problem it finds, each with the file and the
path inside it, so an author can fix a package in one pass (``shaffof services validate``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shaffof.automation import package as automation_package
from shaffof.automation.package import AutomationPackage
from shaffof.canonical_json import canonicalize
from shaffof.catalog.models import AssuranceLevel, ServiceKind
from shaffof.deadlines.calendar import WorkingWeek
from shaffof.deadlines.policies import ALIASES, POLICIES, RESERVED_NAMES, Unit
from shaffof.legal import Citation

LANGUAGES = ("uz", "ru", "en")
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
AGENCY_CODE_PATTERN = r"^[A-Z][A-Z0-9]{1,15}$"
DocumentMediaType = Literal["application/pdf", "image/png", "image/jpeg"]
DOCUMENT_MEDIA_TYPES: tuple[DocumentMediaType, ...] = ("application/pdf", "image/png", "image/jpeg")


class Translated(BaseModel):
    """A text in the three languages of the portal; Uzbek (Latin) is the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    uz: str = Field(min_length=1)
    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)


class RequiredDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    name: Translated
    required: bool = True
    media_types: list[DocumentMediaType] = Field(default_factory=lambda: list(DOCUMENT_MEDIA_TYPES), min_length=1)


class Fee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int = Field(ge=0, description="in so'm (UZS); 0 = free of charge")
    currency: Literal["UZS"] = "UZS"
    note: Translated | None = None


class ServiceDeadline(BaseModel):
    """A service's own answer deadline, where a norm other than ZRU-445 Art. 28 sets it (e.g. ZRU-793:
    a signature-key certificate within one working day). It becomes a deadline policy named after the
    service; ``citation`` is required — a deadline that cites nothing is refused."""

    model_config = ConfigDict(extra="forbid")
    amount: int = Field(ge=0, le=366)
    unit: Unit
    citation: Citation
    working_week: WorkingWeek = WorkingWeek.five_days
    roll_forward: bool = True
    clock_stops: bool = False
    extendable: bool = False
    description: Translated | None = None


class IntegrityRules(BaseModel):
    """What the integrity domain reads from a package (issue 12): the outcomes that need a second officer's
    approval before they take effect (four-eyes), and the skill tags an officer needs to be assigned."""

    model_config = ConfigDict(extra="forbid")
    four_eyes: list[Literal["approved", "rejected", "partially_approved", "left_unconsidered"]] = Field(
        default_factory=list, description="outcomes that take effect only when a second officer approves"
    )
    skills: list[str] = Field(default_factory=list, description="skill tags an assignee must have")


class ServicePackage(BaseModel):
    """The contents of one ``service.yaml``."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN)
    agency: str = Field(pattern=AGENCY_CODE_PATTERN, description="code of the owning agency")
    recipients: list[str] | None = Field(
        default=None,
        description="agencies the applicant may address (codes, or ['*'] for any); default: the owner",
    )
    kind: ServiceKind
    category: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: Translated
    description: Translated
    legal_basis: list[Citation] = Field(min_length=1)
    form: dict[str, Any]
    required_documents: list[RequiredDocument] = Field(default_factory=list)
    fee: Fee
    deadline_policy: str | None = Field(default=None, description="a statutory deadline policy, e.g. zru445-answer")
    deadline: ServiceDeadline | None = Field(default=None, description="the service's own deadline, with its norm")
    assurance_level: AssuranceLevel = AssuranceLevel.substantial
    signature_required: bool = Field(
        default=False,
        description="submissions must carry the applicant's signature (ZRU-793), e.g. services with legal effect",
    )
    integrity: IntegrityRules | None = Field(default=None, description="four-eyes outcomes and assignee skills")

    @field_validator("form")
    @classmethod
    def _form_is_an_object_schema(cls, form: dict[str, Any]) -> dict[str, Any]:
        try:
            Draft202012Validator.check_schema(form)
        except SchemaError as error:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            raise ValueError(f"not a valid JSON Schema (2020-12) at {where}: {error.message}") from None
        if form.get("type") != "object":
            raise ValueError('the form schema must have "type": "object"')
        return form

    @field_validator("deadline_policy")
    @classmethod
    def _known_policy(cls, name: str | None) -> str | None:
        if name is not None and name not in RESERVED_NAMES:
            raise ValueError(
                f"unknown deadline policy {name!r}; known: {', '.join(sorted(POLICIES))} "
                f"(former names still accepted: {', '.join(sorted(ALIASES))}); or declare a deadline block"
            )
        return name

    @model_validator(mode="after")
    def _one_deadline(self) -> ServicePackage:
        if (self.deadline_policy is None) == (self.deadline is None):
            raise ValueError(
                "give either deadline_policy (a statutory policy) or a deadline block (with its citation), not "
                + ("both" if self.deadline is not None else "neither")
            )
        if self.deadline is not None and self.code in RESERVED_NAMES:
            raise ValueError(f"the code {self.code!r} is a statutory deadline policy's name; choose another code")
        return self

    @property
    def effective_deadline_policy(self) -> str:
        """The policy the service's cases run under: the statutory one, or the service's own (its code)."""
        return self.deadline_policy or self.code

    @field_validator("recipients")
    @classmethod
    def _recipient_codes(cls, recipients: list[str] | None) -> list[str] | None:
        if recipients is None:
            return None
        if recipients != ["*"] and not all(re.match(AGENCY_CODE_PATTERN, r) for r in recipients):
            raise ValueError("recipients are agency codes, or ['*'] for any agency")
        return recipients

    def content_hash(self) -> str:
        """SHA-256 of the package's RFC 8785 canonical JSON: a changed package gets a new version."""
        # Absent optional blocks are left out, so adding an optional field does not version every package.
        absent = {name for name in ("deadline", "integrity") if getattr(self, name) is None}
        data = self.model_dump(mode="json", exclude=absent or None)
        return hashlib.sha256(canonicalize(data)).hexdigest()


class AgencyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=AGENCY_CODE_PATTERN)
    name: Translated
    parent: str | None = Field(default=None, pattern=AGENCY_CODE_PATTERN)
    region: str | None = None


class AgencyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agencies: list[AgencyEntry] = Field(min_length=1)


@dataclass(frozen=True)
class PackageProblem:
    file: Path
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


@dataclass
class Catalogue:
    agencies: list[AgencyEntry]
    services: list[ServicePackage]
    problems: list[PackageProblem]
    automation: dict[str, AutomationPackage] = field(default_factory=dict)  # by service code

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_yaml(file: Path, problems: list[PackageProblem]) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        problems.append(PackageProblem(file, "(file)", f"cannot be read: {error}"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problems.append(PackageProblem(file, where, f"not valid YAML: {getattr(error, 'problem', error)}"))
    return None


def _validation_problems(file: Path, error: ValidationError) -> list[PackageProblem]:
    return [PackageProblem(file, "/".join(str(p) for p in e["loc"]) or "(root)", e["msg"]) for e in error.errors()]


def load_packages(directory: Path) -> Catalogue:
    """Read ``agencies.yaml`` and every ``*/service.yaml`` under ``directory``; check cross-references."""
    problems: list[PackageProblem] = []
    agencies: list[AgencyEntry] = []
    services: list[ServicePackage] = []

    agency_file = directory / "agencies.yaml"
    if not agency_file.exists():
        problems.append(PackageProblem(agency_file, "(file)", "missing: it lists the agencies"))
    else:
        raw = _read_yaml(agency_file, problems)
        if raw is not None:
            try:
                agencies = AgencyFile.model_validate(raw).agencies
            except ValidationError as error:
                problems.extend(_validation_problems(agency_file, error))

    codes = [a.code for a in agencies]
    known_agencies = set(codes)
    for index, agency in enumerate(agencies):
        if codes.count(agency.code) > 1:
            problems.append(PackageProblem(agency_file, f"agencies/{index}/code", "duplicate agency code"))
        if agency.parent and agency.parent not in known_agencies:
            problems.append(PackageProblem(agency_file, f"agencies/{index}/parent", f"unknown agency {agency.parent}"))

    seen: dict[str, Path] = {}
    catalogue_automation: dict[str, AutomationPackage] = {}
    for file in sorted(directory.glob("*/service.yaml")):
        raw = _read_yaml(file, problems)
        if raw is None:
            continue
        try:
            package = ServicePackage.model_validate(raw)
        except ValidationError as error:
            problems.extend(_validation_problems(file, error))
            # Report the cross-references too, so one pass shows every problem of the file.
            owner = raw.get("agency") if isinstance(raw, dict) else None
            if agencies and isinstance(owner, str) and owner not in known_agencies:
                problems.append(PackageProblem(file, "agency", f"unknown agency {owner}"))
            continue
        if package.code != file.parent.name:
            problems.append(PackageProblem(file, "code", f"must equal the folder name {file.parent.name!r}"))
        if package.code in seen:
            problems.append(PackageProblem(file, "code", f"duplicate of {seen[package.code]}"))
        seen[package.code] = file
        if agencies and package.agency not in known_agencies:
            problems.append(PackageProblem(file, "agency", f"unknown agency {package.agency}"))
        for i, recipient in enumerate(package.recipients or []):
            if recipient != "*" and agencies and recipient not in known_agencies:
                problems.append(PackageProblem(file, f"recipients/{i}", f"unknown agency {recipient}"))
        document_codes = [d.code for d in package.required_documents]
        for i, code in enumerate(document_codes):
            if document_codes.count(code) > 1:
                problems.append(PackageProblem(file, f"required_documents/{i}/code", "duplicate code"))
        services.append(package)
        automation, automation_problems = automation_package.load(file.parent)
        problems.extend(PackageProblem(p.file, p.path, p.message) for p in automation_problems)
        if automation is not None:
            catalogue_automation[package.code] = automation
    if not services and not problems:
        problems.append(PackageProblem(directory, "(dir)", "no */service.yaml found"))
    return Catalogue(agencies, services, problems, catalogue_automation)
