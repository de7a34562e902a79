"""Content-addressed storage of document bytes under the data dir: ``blobs/ab/cd/<sha256>``.

A file is written (to a temporary name, fsynced, renamed) *before* the transaction that records it
commits, so an acknowledged document is never missing; if the transaction rolls back, the file it
created is removed again unless another, committed transaction references the same content.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import sqlalchemy as sa

from shaffof.archive.errors import BlobDisposed
from shaffof.archive.models import Blob, Tombstone
from shaffof.db.engine import Database
from shaffof.db.uow import UnitOfWork


class BlobStore:
    def __init__(self, root: Path, db: Database) -> None:
        self.root = root
        self._db = db

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, uow: UnitOfWork, data: bytes, media_type: str) -> Blob:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temp_name, target)
            except BaseException:
                Path(temp_name).unlink(missing_ok=True)
                raise
            uow.on_rollback(lambda: self._discard_if_unreferenced(sha256))
        blob = uow.session.get(Blob, sha256)
        if blob is None:
            blob = Blob(sha256=sha256, size=len(data), media_type=media_type)
            uow.session.add(blob)
            uow.session.flush()
        return blob

    def _discard_if_unreferenced(self, sha256: str) -> None:
        with self._db.reading() as session:
            if session.get(Blob, sha256) is None:
                self.path(sha256).unlink(missing_ok=True)

    def read(self, sha256: str) -> bytes:
        """The content; ``BlobDisposed`` (410) if the retention schedule disposed of it (its tombstone)."""
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            with self._db.reading() as session:
                tombstone = session.scalar(sa.select(Tombstone).where(Tombstone.sha256 == sha256))
            if tombstone is None:
                raise
            raise BlobDisposed(
                f"The content {sha256} was disposed of on {tombstone.disposed_at:%Y-%m-%d} ({tombstone.reason} "
                f"Authority: {tombstone.authority})",
                tombstone_id=tombstone.id,
            ) from None

    def discard(self, sha256: str) -> None:
        """Remove the content (disposal, after its tombstone committed); a missing file is already gone."""
        self.path(sha256).unlink(missing_ok=True)
