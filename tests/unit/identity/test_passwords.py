"""argon2id password hashing (RFC 9106)."""

from __future__ import annotations

import pytest

from shaffof.identity.passwords import Passwords

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(time_cost=1, memory_kib=8192)


def test_hash_is_an_argon2id_string_carrying_its_parameters(passwords: Passwords) -> None:
    stored = passwords.hash(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert "m=8192,t=1" in stored
    assert PASSWORD not in stored


def test_hashes_are_salted(passwords: Passwords) -> None:
    assert passwords.hash(PASSWORD) != passwords.hash(PASSWORD)


def test_verify_accepts_the_right_password(passwords: Passwords) -> None:
    assert passwords.verify(passwords.hash(PASSWORD), PASSWORD) is True


@pytest.mark.parametrize("attempt", ["wrong password", PASSWORD.upper(), PASSWORD + " ", ""])
def test_verify_refuses_a_wrong_password(passwords: Passwords, attempt: str) -> None:
    assert passwords.verify(passwords.hash(PASSWORD), attempt) is False


def test_verify_for_an_unknown_login_is_false(passwords: Passwords) -> None:
    assert passwords.verify(None, PASSWORD) is False


def test_verify_for_an_unknown_login_is_false_even_with_the_decoy_password(passwords: Passwords) -> None:
    # The decoy hash exists only to spend the same time; knowing its password must not log anyone in.
    assert passwords.verify(None, "decoy password for unknown logins") is False


@pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$m=8192,t=1,p=4$broken"])
def test_verify_against_a_corrupt_stored_hash_is_false(passwords: Passwords, stored: str) -> None:
    assert passwords.verify(stored, PASSWORD) is False


def test_a_hash_made_with_other_parameters_still_verifies(passwords: Passwords) -> None:
    stored = Passwords(time_cost=2, memory_kib=8192).hash(PASSWORD)
    assert passwords.verify(stored, PASSWORD) is True


def test_needs_rehash_is_false_for_current_parameters(passwords: Passwords) -> None:
    assert passwords.needs_rehash(passwords.hash(PASSWORD)) is False


@pytest.mark.parametrize(("time_cost", "memory_kib"), [(2, 8192), (1, 16384)])
def test_needs_rehash_when_parameters_change(passwords: Passwords, time_cost: int, memory_kib: int) -> None:
    stored = passwords.hash(PASSWORD)
    assert Passwords(time_cost=time_cost, memory_kib=memory_kib).needs_rehash(stored) is True


PEAK_PROBE = """
import sys, threading
from shaffof.identity.passwords import Passwords

def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

passwords = Passwords(time_cost=1, memory_kib=32 * 1024, parallel=int(sys.argv[1]))
stored = passwords.hash("correct horse battery staple")
before = peak_kib()
start = threading.Barrier(6)
def sign_in():
    start.wait()
    assert passwords.verify(stored, "correct horse battery staple")
threads = [threading.Thread(target=sign_in) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(peak_kib() - before)
"""


def _peak_growth_kib(parallel: int) -> int:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, str(parallel)], capture_output=True, text=True, check=True, timeout=120
    )
    return int(done.stdout.strip())


def test_concurrent_sign_ins_hold_at_most_the_allowed_hashes_in_memory() -> None:
    """Six sign-ins at once in one process: with ``parallel=1`` they take turns, so the process's peak memory
    grows by less than one more hash (32 MiB here); without the bound (six slots) it grows by several."""
    assert _peak_growth_kib(1) < 32 * 1024
    assert _peak_growth_kib(6) > 2 * 32 * 1024
