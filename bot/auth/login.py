"""Checking a name and password: lockout after repeated failures, one answer for every failure.

Every failed login gets the same message, whether the name is unknown, the password wrong or the
account locked, and costs one argon2 verification either way, so neither the answer nor its timing
tells an attacker which names exist. The `max_failures`-th failure in a row locks the account for
`lockout`; while locked, even the right password is refused (and not counted).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.auth.accounts import AccountStore, User
from bot.auth.passwords import Passwords


def utc_now() -> datetime:
    return datetime.now(UTC)


class LoginFailed(Exception):
    """Wrong name or password, or a locked account: deliberately not saying which."""


class Authenticator:
    def __init__(
        self,
        accounts: AccountStore,
        passwords: Passwords,
        *,
        max_failures: int = 5,
        lockout: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self.accounts, self.passwords = accounts, passwords
        self.max_failures, self.lockout, self.clock = max_failures, lockout, clock

    @property
    def failure_message(self) -> str:
        minutes = max(1, round(self.lockout.total_seconds() / 60))
        return (
            f"Wrong name or password. After {self.max_failures} failed attempts in a row an account "
            f"is locked for {minutes} minute{'s' if minutes != 1 else ''}."
        )

    def login(self, name: str, password: str) -> User:
        """The account, when `password` is its password and it is not locked; LoginFailed otherwise.

        Blocking (argon2 takes tens of milliseconds): call it from a worker thread in a server.
        """
        user = self.accounts.user(name)
        if user is None:
            self.passwords.verify_nobody(password)
            raise LoginFailed(self.failure_message)
        verified = self.passwords.verify(user.password_hash, password)
        now = self.clock()
        if user.locked(now):
            raise LoginFailed(self.failure_message)
        if not verified.ok:
            self.accounts.record_failure(user.id, now, self.max_failures, self.lockout)
            raise LoginFailed(self.failure_message)
        return self.accounts.record_success(user.id, verified.rehash)
