"""Check the blob store: every file's content hashes to its name, every recorded blob has its file.

Used by ``shaffof verify-log``. A file is named by the SHA-256 of its bytes (``ab/cd/<sha256>``), so a
changed byte shows as a name that no longer matches; a missing file shows against the ``blobs`` table —
unless a tombstone says it was disposed of (the tombstone itself is checked against its ledger leaf). A
disposed blob whose file is still there is reported too: the disposal did not finish.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from shaffof.archive.blobstore import BlobStore
from shaffof.archive.models import Blob, Tombstone
from shaffof.db.engine import Database

SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BlobDiscrepancy:
    location: str
    problem: str


def blob_files(store: BlobStore) -> list[Path]:
    """Every file under the store, except the temporary ones of writes in progress."""
    if not store.root.exists():
        return []
    return sorted(p for p in store.root.rglob("*") if p.is_file() and not p.name.startswith(".incoming-"))


def audit_blobs(
    store: BlobStore, db: Database, *, progress: Callable[[int, int], None] | None = None
) -> Iterator[BlobDiscrepancy]:
    """Re-hash every blob file against its name and place; then look for recorded blobs without a file."""
    files = blob_files(store)
    for done, path in enumerate(files, 1):
        name = path.name
        if not SHA256_NAME.match(name):
            yield BlobDiscrepancy(str(path), "not a blob: the file name is not a SHA-256 in hex")
        else:
            if path != store.path(name):
                yield BlobDiscrepancy(str(path), f"misplaced blob: belongs at {store.path(name)}")
            digest = _sha256_of(path)
            if digest != name:
                yield BlobDiscrepancy(str(path), f"content differs from its name: the bytes hash to {digest}")
        if progress is not None:
            progress(done, len(files))
    with db.reading() as session:
        rows = session.execute(
            sa.select(Blob.sha256, Blob.size, Tombstone.id)
            .outerjoin(Tombstone, Tombstone.sha256 == Blob.sha256)
            .order_by(Blob.sha256)
        )
        for sha256, size, tombstone_id in rows:
            path = store.path(sha256)
            if tombstone_id is not None:
                if path.exists():
                    yield BlobDiscrepancy(
                        str(path), f"disposed blob still present: tombstone id={tombstone_id} says it was destroyed"
                    )
            elif not path.is_file():
                yield BlobDiscrepancy(str(path), f"missing blob: recorded in the blobs table ({size} bytes), no file")
            elif path.stat().st_size != size:
                yield BlobDiscrepancy(str(path), f"size differs: {path.stat().st_size} bytes, recorded {size}")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
