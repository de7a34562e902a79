"""The log key: the Ed25519 key that signs checkpoints.

Production reads it from ``SHAFFOF_LEDGER_KEY_FILE`` (PKCS#8 PEM, made with ``shaffof ledger keygen``)
and refuses to run the log with a missing key or with a development key. Development generates a key
under the data dir on first use, marked as such in its file, and says so loudly on every start: a
checkpoint signed by it proves nothing to anyone.

A key that cannot be loaded stops the signing of checkpoints, never the work: every change still
writes its leaf in its own transaction; the checkpoint only lags (docs/ledger.md, "Faults").
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shaffof.ledger.errors import LogKeyUnavailable
from shaffof.observability import get_logger

log = get_logger("shaffof.ledger")

DEVELOPMENT_MARKER = "Shaffof DEVELOPMENT log key: checkpoints signed with it prove nothing; refused in production."
DEVELOPMENT_KEY_NAME = "ledger-log-key.development.pem"
RETRY_SECONDS = 30.0


def development_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / DEVELOPMENT_KEY_NAME


def public_key_id(public_key: Ed25519PublicKey) -> str:
    """The key's id: hex SHA-256 of its DER SubjectPublicKeyInfo (as RFC 6962 names a log by its key)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class LogKey:
    private_key: Ed25519PrivateKey
    path: Path
    is_development: bool
    public_key: Ed25519PublicKey = field(init=False)
    key_id: str = field(init=False)

    def __post_init__(self) -> None:
        public_key = self.private_key.public_key()
        object.__setattr__(self, "public_key", public_key)
        object.__setattr__(self, "key_id", public_key_id(public_key))

    @property
    def public_raw(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def generate_key_file(path: Path, *, development: bool = False) -> LogKey:
    """Write a new Ed25519 key (mode 0600, never over an existing file)."""
    if path.exists():
        raise FileExistsError(f"{path} exists; a log key is never overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    text = (DEVELOPMENT_MARKER + "\n").encode() + pem if development else pem
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".incoming-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temp_name, path)  # fails if another process created the key meanwhile
    finally:
        Path(temp_name).unlink(missing_ok=True)
    return LogKey(key, path, development)


def read_key_file(path: Path) -> LogKey:
    try:
        text = path.read_bytes()
    except OSError as error:
        raise LogKeyUnavailable(f"The log key file {path} cannot be read ({error.strerror or error}).") from None
    try:
        key = serialization.load_pem_private_key(text, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise LogKeyUnavailable(
            f"The log key file {path} does not hold an unencrypted PKCS#8 PEM private key."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LogKeyUnavailable(f"The log key in {path} is not an Ed25519 key.")
    return LogKey(key, path, DEVELOPMENT_MARKER.encode() in text)


def load_log_key(key_file: Path | None, data_dir: Path, *, production: bool) -> LogKey:
    """The configured log key; in development, the data dir's development key (made on first use)."""
    if key_file is None:
        if production:
            raise LogKeyUnavailable(
                "SHAFFOF_LEDGER_KEY_FILE is not set; production refuses the development log key. "
                "Create a key with `shaffof ledger keygen PATH` and set SHAFFOF_LEDGER_KEY_FILE=PATH."
            )
        path = development_key_path(data_dir)
        try:
            key = read_key_file(path) if path.exists() else generate_key_file(path, development=True)
        except FileExistsError:
            key = read_key_file(path)  # another process made it first
        if not key.is_development:
            raise LogKeyUnavailable(f"{path} is the development key's place but does not hold a development key.")
        return key
    key = read_key_file(key_file)
    if production and (key.is_development or key_file.name == DEVELOPMENT_KEY_NAME):
        raise LogKeyUnavailable(
            f"{key_file} is a development log key; production refuses it. "
            "Create a key with `shaffof ledger keygen PATH`."
        )
    return key


class LogKeySource:
    """Loads the log key on first use and again after a failure (every ``retry_seconds``), so an operator
    can fix a missing key without a restart. Thread-safe."""

    def __init__(
        self, key_file: Path | None, data_dir: Path, *, production: bool, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        self._key_file = key_file
        self._data_dir = data_dir
        self._production = production
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._key: LogKey | None = None
        self._problem: LogKeyUnavailable | None = None
        self._failed_at = 0.0

    def get(self) -> LogKey | None:
        """The key, or None when it cannot be loaded (see :attr:`problem`)."""
        with self._lock:
            if self._key is not None:
                return self._key
            if self._problem is not None and time.monotonic() - self._failed_at < self._retry_seconds:
                return None
            try:
                key = load_log_key(self._key_file, self._data_dir, production=self._production)
            except LogKeyUnavailable as problem:
                self._problem, self._failed_at = problem, time.monotonic()
                log.error("ledger log key unavailable: checkpoints are not signed", problem=problem.detail)
                return None
            if key.is_development:
                log.warning(
                    "unsafe configuration",
                    problem=f"development ledger log key in use ({key.path}); set SHAFFOF_LEDGER_KEY_FILE",
                    key_id=key.key_id,
                )
            self._key, self._problem = key, None
            return key

    def require(self) -> LogKey:
        key = self.get()
        if key is None:
            raise LogKeyUnavailable(self.problem or "The log key cannot be loaded.")
        return key

    @property
    def problem(self) -> str | None:
        return self._problem.detail if self._problem is not None else None
