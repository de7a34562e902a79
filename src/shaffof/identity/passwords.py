"""Password hashing with argon2id (RFC 9106), parameters from settings.

Each hash or verification holds ``memory_kib`` of memory for its duration (64 MiB by default), and the web
server runs sign-ins on a thread pool: twenty sign-ins at once in one process would hold 1.25 GiB. A semaphore
lets at most ``parallel`` of them run at once per process, so a sign-in burst (or an attacker's) waits in line
instead of growing the process: its memory is bounded by ``parallel × memory_kib`` above the rest.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, *, parallel: int = 1) -> None:
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, type=Type.ID)
        self._slots = threading.BoundedSemaphore(parallel)
        # Verified against when the login is unknown, so the response time does not reveal it.
        self._decoy = self._hasher.hash("decoy password for unknown logins")

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            with self._slots:
                return self._hasher.verify(stored_hash or self._decoy, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
