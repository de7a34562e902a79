"""Service packages uploaded as one zip by an administrator: check every file, then publish all or nothing.

The zip holds a catalogue directory as ``shaffof services import`` reads it (``agencies.yaml`` and one folder
per service with ``service.yaml`` and optional BPMN/DMN files), at its root or inside one top folder. It is
unpacked into a private temporary directory with the usual archive defences — no absolute paths or ``..``,
no links, a cap on the number of files and on the unpacked size — so a hostile archive cannot write outside
it or fill the disk. Problems are reported per file, relative to the archive, as ``shaffof services validate``
does; publishing runs the same import as the command line, which refuses the whole catalogue on any problem.
"""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from shaffof.catalog.errors import CatalogueInvalid
from shaffof.catalog.package import PackageProblem, load_packages
from shaffof.catalog.service import ImportReport, import_packages
from shaffof.db.engine import Database
from shaffof.errors import FieldError
from shaffof.identity.actor import Actor
from shaffof.identity.policy import ensure_admin

MAX_FILES = 2000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ArchiveProblem:
    file: str  # path inside the archive
    path: str  # where in the file (a JSON pointer-like path, or "(file)")
    message: str


@dataclass(frozen=True)
class ArchiveCheck:
    services: list[str]
    agencies: list[str]
    problems: list[ArchiveProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _refuse(message: str) -> CatalogueInvalid:
    return CatalogueInvalid(message, errors=[FieldError("package", message)])


def _unpack(data: bytes, target: Path) -> Path:
    """Unpack safely; the catalogue root (the archive's root, or its single top folder)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse("The file is not a zip archive.") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:
            raise _refuse(f"The archive has more than {MAX_FILES} files.")
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise _refuse(f"The archive unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MiB.")
        for member in members:
            name = PurePosixPath(member.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in member.filename:
                raise _refuse(f"{member.filename}: a path outside the archive is not allowed.")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise _refuse(f"{member.filename}: links are not allowed.")
            destination = target.joinpath(*name.parts)
            if member.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source:
                content = source.read(MAX_UNPACKED_BYTES + 1)
            if len(content) > member.file_size:  # the header lied about the size
                raise _refuse(f"{member.filename}: the size does not match the archive's directory.")
            destination.write_bytes(content)
    entries = [p for p in target.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if not (target / "agencies.yaml").exists() and len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return target


def _problems(root: Path, problems: list[PackageProblem]) -> list[ArchiveProblem]:
    def inside(file: Path) -> str:
        try:
            return file.relative_to(root).as_posix() or "."
        except ValueError:
            return file.name

    return [ArchiveProblem(inside(p.file), p.path, p.message) for p in problems]


def check_archive(actor: Actor, data: bytes) -> ArchiveCheck:
    """Validate an uploaded package archive without changing anything."""
    ensure_admin(actor)
    with tempfile.TemporaryDirectory(prefix="shaffof-package-") as directory:
        root = _unpack(data, Path(directory))
        catalogue = load_packages(root)
        return ArchiveCheck(
            services=[s.code for s in catalogue.services],
            agencies=[a.code for a in catalogue.agencies],
            problems=_problems(root, catalogue.problems),
        )


def publish_archive(db: Database, actor: Actor, data: bytes) -> ImportReport:
    """Publish the archive's agencies and services (new versions where changed) — all, or none on any problem."""
    ensure_admin(actor)
    with tempfile.TemporaryDirectory(prefix="shaffof-package-") as directory:
        root = _unpack(data, Path(directory))
        with db.uow() as uow:
            try:
                return import_packages(uow, root)
            except CatalogueInvalid as error:
                raise CatalogueInvalid(
                    error.detail,
                    errors=[
                        FieldError(f"{p.file}:{p.path}", p.message)
                        for p in _problems(root, load_packages(root).problems)
                    ],
                ) from None
