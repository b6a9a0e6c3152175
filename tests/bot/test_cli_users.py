"""`etude users …`: adding accounts, listing them, passwords and API tokens, from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

from bot.auth.accounts import AccountStore
from bot.auth.passwords import Passwords
from bot.auth.tokens import digest
from bot.cli import app
from bot.settings import get_settings
from bot.store import ConversationStore

PASSWORD = "violin practice at dawn"


@pytest.fixture
def url(database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ETUDE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ETUDE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def etude(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["users", *args], input=stdin)


@contextmanager
def accounts(url: str) -> Iterator[AccountStore]:
    with ConversationStore(url) as store:
        yield AccountStore(store)


def test_adding_an_account_with_the_password_on_stdin_prints_one_json_object(url: str) -> None:
    result = etude("add", "Ada", "--role", "admin", "--password-stdin", "--json", stdin=PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    added = json.loads(result.stdout)
    assert (added["name"], added["role"]) == ("ada", "admin") and added["created_at"]
    with accounts(url) as store:
        stored = store.user("ada")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert Passwords().verify(stored.password_hash, PASSWORD).ok


def test_the_password_can_be_typed_at_a_hidden_prompt_twice(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.cli_users._interactive", lambda: True)

    result = etude("add", "ian", "--role", "instructor", stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "added ian (instructor)" in result.stdout and PASSWORD not in result.output
    with accounts(url) as store:
        assert Passwords().verify(store.user("ian").password_hash, PASSWORD).ok  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "stdin", "error"),
    [
        (["lea", "--role", "learner", "--password-stdin"], "\n", "the password is empty"),
        (["lea", "--role", "learner", "--password-stdin"], "short\n", "at least 10 characters"),
        (["lea", "--role", "learner", "--password-stdin"], "lea-and-her-cello\n", "must not contain the"),
        (["lea", "--role", "boss", "--password-stdin"], PASSWORD, "unknown role 'boss'"),
        (["lea lovelace", "--role", "learner", "--password-stdin"], PASSWORD, "may hold only letters"),
        (["lea", "--role", "learner"], PASSWORD, "pipe it in with --password-stdin"),
    ],
    ids=["empty", "short", "name in it", "unknown role", "bad name", "no terminal"],
)
def test_bad_accounts_are_refused_with_a_clear_message_and_nothing_is_stored(
    url: str, args: list[str], stdin: str, error: str
) -> None:
    result = etude("add", *args, stdin=stdin)

    assert result.exit_code == 2
    assert error in " ".join(result.output.split())
    with accounts(url) as store:
        assert store.users() == []


def test_a_name_is_taken_once(url: str) -> None:
    assert etude("add", "ada", "--role", "admin", "--password-stdin", stdin=PASSWORD).exit_code == 0

    again = etude("add", "ADA", "--role", "learner", "--password-stdin", stdin=PASSWORD)

    assert again.exit_code == 2 and "an account named 'ada' already exists" in again.output


def test_listing_accounts(url: str) -> None:
    for name, role in (("ada", "admin"), ("lea", "learner")):
        etude("add", name, "--role", role, "--password-stdin", stdin=PASSWORD)

    listed = json.loads(etude("list", "--json").stdout)
    table = etude("list").stdout

    assert [(u["name"], u["role"], u["locked_until"], u["active_tokens"]) for u in listed["users"]] == [
        ("ada", "admin", None, 0), ("lea", "learner", None, 0)]
    assert "ada" in table and "learner" in table and "2 accounts" in table


def test_a_token_is_shown_once_kept_only_as_a_hash_and_can_be_revoked_by_its_prefix(url: str) -> None:
    etude("add", "ian", "--role", "instructor", "--password-stdin", stdin=PASSWORD)

    made = etude("token", "ian", "--label", "grading script")

    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("etude_") and "\n" not in token
    with accounts(url) as store:
        owner = store.user_by_token(digest(token))
    assert owner is not None and owner[0].name == "ian"
    listed = json.loads(etude("tokens", "--json").stdout)["tokens"]
    assert [(t["name"], t["label"], t["revoked_at"]) for t in listed] == [("ian", "grading script", None)]
    assert token not in json.dumps(listed) and listed[0]["prefix"] == token[:14]

    revoked = etude("revoke-token", listed[0]["prefix"], "--json")

    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.stdout)["name"] == "ian"
    with accounts(url) as store:
        assert store.user_by_token(digest(token)) is None
    again = etude("revoke-token", listed[0]["prefix"])
    assert again.exit_code == 2 and "no active token has the prefix" in again.output


def test_a_token_as_json_and_for_nobody(url: str) -> None:
    etude("add", "ada", "--role", "admin", "--password-stdin", stdin=PASSWORD)

    made = json.loads(etude("token", "ada", "--json").stdout)
    missing = etude("token", "zed")

    assert made["token"].startswith(made["prefix"]) and made["name"] == "ada" and made["label"] is None
    assert missing.exit_code == 2 and "no account named 'zed'" in missing.output


def test_a_new_password_replaces_the_old_one(url: str) -> None:
    etude("add", "lea", "--role", "learner", "--password-stdin", stdin=PASSWORD)

    changed = etude("password", "lea", "--password-stdin", "--json", stdin="a brand new passphrase\n")

    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout) == {"name": "lea", "password_changed": True}
    with accounts(url) as store:
        stored = store.user("lea")
    assert stored is not None and Passwords().verify(stored.password_hash, "a brand new passphrase").ok
    assert etude("password", "zed", "--password-stdin", stdin=PASSWORD).exit_code == 2
