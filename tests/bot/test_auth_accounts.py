"""Accounts and API tokens in the database, and logging in with lockout; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.auth.accounts import AccountError, AccountStore
from bot.auth.login import Authenticator, LoginFailed
from bot.auth.passwords import Passwords, Verified
from bot.auth.roles import Role
from bot.auth.tokens import NewToken, digest, new_token
from bot.store import ConversationStore
from tests.bot.accounts import Clock, fast_passwords

PASSWORD = "violin practice at dawn"


class CountingPasswords(Passwords):
    """Cheap hashing that counts how many verifications a login costs."""

    def __init__(self, time_cost: int = 1) -> None:
        super().__init__(fast_passwords(time_cost).hasher)
        self.verifications = 0

    def verify(self, stored: str, password: str) -> Verified:
        self.verifications += 1
        return super().verify(stored, password)

    def verify_nobody(self, password: str) -> None:
        self.verifications += 1
        super().verify_nobody(password)


@pytest.fixture
def accounts(database_url: str) -> Iterator[AccountStore]:
    with ConversationStore(database_url) as store:
        yield AccountStore(store)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def passwords() -> CountingPasswords:
    return CountingPasswords()


@pytest.fixture
def authenticator(accounts: AccountStore, passwords: CountingPasswords, clock: Clock) -> Authenticator:
    accounts.add_user("lea", Role.LEARNER, passwords.hash(PASSWORD), clock())
    return Authenticator(accounts, passwords, max_failures=5, lockout=timedelta(minutes=15), clock=clock)


# -- accounts ----------------------------------------------------------------------------------------


def test_an_account_is_stored_with_its_role_and_hash_and_found_by_name_in_any_case(
    accounts: AccountStore, clock: Clock
) -> None:
    added = accounts.add_user("  Ada ", Role.ADMIN, "$argon2id$hash", clock())

    assert (added.name, added.role, added.failed_logins, added.locked_until) == ("ada", Role.ADMIN, 0, None)
    assert accounts.user("ADA") == added == accounts.user_by_id(added.id)
    assert added.created_at == clock() and added.learner_id == "user:ada"
    assert accounts.users() == [added]


def test_a_name_can_be_taken_only_once(accounts: AccountStore, clock: Clock) -> None:
    accounts.add_user("ada", Role.ADMIN, "$argon2id$hash", clock())

    with pytest.raises(AccountError, match="an account named 'ada' already exists"):
        accounts.add_user("Ada", Role.LEARNER, "$argon2id$other", clock())
    assert [u.role for u in accounts.users()] == [Role.ADMIN]


@pytest.mark.parametrize(
    ("name", "why"),
    [("", "empty"), ("  ", "empty"), ("a" * 65, "longer than 64"), ("ada lovelace", "may hold only"),
     ("-ada", "must start with"), ("ádá", "may hold only"), ("web:ada", "may hold only")],
)
def test_names_that_are_not_plain_identifiers_are_refused(
    accounts: AccountStore, clock: Clock, name: str, why: str
) -> None:
    with pytest.raises(AccountError, match=why):
        accounts.add_user(name, Role.LEARNER, "$argon2id$hash", clock())
    assert accounts.user(name) is None


# -- logging in --------------------------------------------------------------------------------------


def test_the_right_password_logs_in(authenticator: Authenticator) -> None:
    user = authenticator.login("Lea", PASSWORD)

    assert (user.name, user.role) == ("lea", Role.LEARNER)


def test_an_unknown_name_and_a_wrong_password_fail_alike_and_cost_the_same(
    authenticator: Authenticator, passwords: CountingPasswords
) -> None:
    messages = []
    for name, password in (("nobody", PASSWORD), ("lea", "not the password at all")):
        before = passwords.verifications
        with pytest.raises(LoginFailed) as failed:
            authenticator.login(name, password)
        messages.append(str(failed.value))
        assert passwords.verifications - before == 1  # one argon2 verification either way

    assert messages[0] == messages[1] == authenticator.failure_message
    assert "Wrong name or password" in messages[0] and "locked for 15 minutes" in messages[0]


def test_five_failures_in_a_row_lock_the_account_until_the_lockout_has_passed(
    authenticator: Authenticator, accounts: AccountStore, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            authenticator.login("lea", "a wrong guess, again")
    locked = accounts.user("lea")
    assert locked is not None and locked.locked_until == clock() + timedelta(minutes=15)

    clock.advance(minutes=14, seconds=59)
    with pytest.raises(LoginFailed) as refused:
        authenticator.login("lea", PASSWORD)  # even the right password, while locked
    assert str(refused.value) == authenticator.failure_message  # and it does not say so

    clock.advance(seconds=1)
    user = authenticator.login("lea", PASSWORD)

    assert (user.failed_logins, user.locked_until) == (0, None)


def test_after_a_lockout_ends_a_new_series_of_failures_is_needed_to_lock_again(
    authenticator: Authenticator, accounts: AccountStore, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            authenticator.login("lea", "a wrong guess, again")
    clock.advance(minutes=15)

    with pytest.raises(LoginFailed):
        authenticator.login("lea", "one more wrong guess")

    assert accounts.user("lea").failed_logins == 1  # type: ignore[union-attr]
    assert authenticator.login("lea", PASSWORD).name == "lea"


def test_a_successful_login_clears_earlier_failures(authenticator: Authenticator) -> None:
    for _ in range(4):
        with pytest.raises(LoginFailed):
            authenticator.login("lea", "a wrong guess, again")
    authenticator.login("lea", PASSWORD)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            authenticator.login("lea", "a wrong guess, again")

    assert authenticator.login("lea", PASSWORD).locked_until is None


def test_a_login_stores_a_rehash_when_the_hashing_parameters_were_raised(
    authenticator: Authenticator, accounts: AccountStore, clock: Clock
) -> None:
    old_hash = accounts.user("lea").password_hash  # type: ignore[union-attr]
    stronger = Authenticator(accounts, CountingPasswords(time_cost=2), clock=clock)

    user = stronger.login("lea", PASSWORD)

    assert user.password_hash != old_hash and "t=2" in user.password_hash
    assert accounts.user("lea").password_hash == user.password_hash  # type: ignore[union-attr]
    assert stronger.login("lea", PASSWORD).password_hash == user.password_hash  # no rehash again


def test_a_new_password_lifts_a_lockout(authenticator: Authenticator, accounts: AccountStore) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            authenticator.login("lea", "a wrong guess, again")

    accounts.set_password("lea", authenticator.passwords.hash("a brand new passphrase"))

    assert authenticator.login("lea", "a brand new passphrase").name == "lea"
    with pytest.raises(AccountError, match="no account named 'zed'"):
        accounts.set_password("zed", "$argon2id$hash")


# -- API tokens --------------------------------------------------------------------------------------


def test_a_token_is_found_by_its_digest_until_it_is_revoked(accounts: AccountStore, clock: Clock) -> None:
    ada = accounts.add_user("ada", Role.ADMIN, "$argon2id$hash", clock())
    fresh = new_token()

    saved = accounts.add_token("ada", fresh, " nightly export ", clock())

    assert (saved.user_name, saved.prefix, saved.label) == ("ada", fresh.prefix, "nightly export")
    assert saved.active
    user, token = accounts.user_by_token(digest(fresh.token))  # type: ignore[misc]
    assert user == ada and token.id == saved.id
    clock.advance(hours=1)
    accounts.touch_token(saved.id, clock())
    assert accounts.tokens("ada")[0].last_used_at == clock()

    revoked = accounts.revoke_token(fresh.prefix, clock())

    assert revoked.revoked_at == clock() and not revoked.active
    assert accounts.user_by_token(digest(fresh.token)) is None
    with pytest.raises(AccountError, match="no active token has the prefix"):
        accounts.revoke_token(fresh.prefix, clock())


def test_tokens_are_revoked_by_prefix_or_whole_and_an_ambiguous_prefix_is_refused(
    accounts: AccountStore, clock: Clock
) -> None:
    accounts.add_user("ada", Role.ADMIN, "$argon2id$hash", clock())
    one, two = new_token(), new_token()
    twin = NewToken(two.token, two.digest, one.prefix)  # the 1 in 2^48 case: two tokens, one prefix
    accounts.add_token("ada", one, None, clock())
    accounts.add_token("ada", twin, None, clock())

    with pytest.raises(AccountError, match="2 active tokens share the prefix"):
        accounts.revoke_token(one.prefix, clock())
    with pytest.raises(AccountError, match="give the token's prefix as listed"):
        accounts.revoke_token("etude_", clock())

    accounts.revoke_token(two.token, clock())  # whole: exact

    assert accounts.user_by_token(two.digest) is None and accounts.user_by_token(one.digest) is not None


def test_a_token_needs_an_account_and_a_sensible_label(accounts: AccountStore, clock: Clock) -> None:
    with pytest.raises(AccountError, match="no account named 'zed'"):
        accounts.add_token("zed", new_token(), None, clock())
    accounts.add_user("ada", Role.ADMIN, "$argon2id$hash", clock())
    with pytest.raises(AccountError, match="longer than 64"):
        accounts.add_token("ada", new_token(), "x" * 65, clock())
    assert accounts.tokens() == []
