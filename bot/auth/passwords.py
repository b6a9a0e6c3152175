"""Password hashing (argon2id via argon2-cffi) and the password policy.

Hashes carry their own parameters, so raising the cost later needs no migration: a login that
verifies against an older hash gets a fresh one to store (`Verified.rehash`). Checking a name that
has no account still costs one verification (against a dummy hash), so the time a failed login takes
does not tell whether the account exists.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's argon2id configuration (19 MiB, 2 passes, 1 lane): ~30 ms on one core. The library's
# defaults (64 MiB, 3 passes, 4 lanes) cost ~0.2 s of a small server's every core per login attempt,
# which makes logging in a denial-of-service lever for little gain. Raising these later is safe:
# hashes carry their parameters, and each account is rehashed at its next login.
TIME_COST, MEMORY_KIB, LANES = 2, 19 * 1024, 1

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work one login attempt can ask for
COMMON = frozenset(
    {
        "password", "password1", "password12", "password123", "password1234", "passw0rd", "p@ssw0rd",
        "1234567890", "12345678910", "0123456789", "9876543210", "1111111111", "qwertyuiop",
        "qwerty1234", "qwerty12345", "1q2w3e4r5t", "1qaz2wsx3edc", "zaq12wsxcde", "asdfghjkl",
        "iloveyou123", "letmein123", "welcome123", "changeme123", "administrator", "abc1234567",
        "abcdefghij", "etudeetude", "musicmusic", "football123", "sunshine123", "princess123",
    }
)


class WeakPassword(ValueError):
    """The password does not meet the policy; the message says why."""


def check_strength(password: str, name: str = "") -> None:
    """Raise WeakPassword unless `password` is acceptable for the account `name`.

    The policy follows NIST SP 800-63B: length matters, composition rules do not; known-common
    passwords and ones built from the account name are refused.
    """
    if not password or not password.strip():
        raise WeakPassword("the password is empty")
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"the password must be at least {MIN_LENGTH} characters long (it has {len(password)})"
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must be at most {MAX_LENGTH} characters long")
    if len(set(password)) < 4:
        raise WeakPassword("the password repeats too few characters; use a longer phrase")
    lowered = password.lower()
    if lowered in COMMON:
        raise WeakPassword("the password is too common; choose another")
    if name and name.lower() in lowered:
        raise WeakPassword("the password must not contain the account name")


@dataclass(frozen=True)
class Verified:
    ok: bool
    rehash: str | None = None  # a new hash to store: the old one used outdated parameters


class Passwords:
    """Hashing and verification with one set of argon2 parameters (the ones above unless a hasher
    is given; tests give cheap ones)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=LANES)
        self._dummy: str | None = None
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> Verified:
        """Whether `password` matches the `stored` hash, and a rehash when its parameters are old.

        A corrupt stored hash counts as a mismatch rather than an error: the login fails the same way.
        """
        if len(password) > MAX_LENGTH:
            self.verify_nobody(password[:MAX_LENGTH])  # the same cost as a real check
            return Verified(False)
        try:
            self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verified(False)
        return Verified(True, self.hash(password) if self.hasher.check_needs_rehash(stored) else None)

    def verify_nobody(self, password: str) -> None:
        """Spend what verifying a real account costs, for a name that has none."""
        if self._dummy is None:
            with self._lock:
                if self._dummy is None:
                    self._dummy = self.hash("no account has this password: it only costs time")
        with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
            self.hasher.verify(self._dummy, password[:MAX_LENGTH])
