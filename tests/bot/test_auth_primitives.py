"""The building blocks of access: password hashing and policy, signed values, the secret key, API
tokens, roles and trusted origins."""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import pytest

from bot.auth.origins import Origins, normalise_origin
from bot.auth.passwords import MAX_LENGTH, Passwords, WeakPassword, check_strength
from bot.auth.roles import Role
from bot.auth.secret import FILE_NAME, SecretKeyError, load_secret_key
from bot.auth.signing import BadSignature, Signer
from bot.auth.tokens import PREFIX_CHARS, digest, looks_like_token, new_token
from bot.store import ROLES
from tests.bot.accounts import SECRET, fast_passwords

# -- passwords ---------------------------------------------------------------------------------------


def test_a_password_is_stored_as_an_argon2id_hash_that_verifies_only_the_same_password() -> None:
    passwords = fast_passwords()

    stored = passwords.hash("a long enough passphrase")

    assert stored.startswith("$argon2id$") and "a long enough passphrase" not in stored
    assert passwords.verify(stored, "a long enough passphrase").ok
    assert not passwords.verify(stored, "a long enough passphrasE").ok
    assert passwords.hash("a long enough passphrase") != stored  # salted


def test_a_hash_made_with_older_parameters_is_replaced_on_a_successful_login() -> None:
    old = fast_passwords(time_cost=1).hash("a long enough passphrase")
    stronger = fast_passwords(time_cost=2)

    verified = stronger.verify(old, "a long enough passphrase")

    assert verified.ok and verified.rehash is not None
    assert "t=2" in verified.rehash
    assert stronger.verify(verified.rehash, "a long enough passphrase").rehash is None
    assert stronger.verify(old, "wrong passphrase!").rehash is None  # never rehash on a failure


def test_a_corrupt_stored_hash_is_a_failed_login_not_an_error() -> None:
    assert not fast_passwords().verify("not an argon2 hash", "whatever it is").ok


def test_an_overlong_password_is_refused_without_hashing_all_of_it() -> None:
    passwords = fast_passwords()
    stored = passwords.hash("x" * MAX_LENGTH + "y")  # hashing is not limited; verifying is

    assert not passwords.verify(stored, "x" * MAX_LENGTH + "y").ok


def test_the_production_hasher_uses_owasps_argon2id_parameters() -> None:
    hasher = Passwords().hasher

    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (2, 19 * 1024, 1)
    assert Passwords().hash("a long enough passphrase").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("", "the password is empty"),
        ("   ", "the password is empty"),
        ("short1", "at least 10 characters long (it has 6)"),
        ("aaaaaaaaaaaaaa", "repeats too few characters"),
        ("Password123", "too common"),
        ("ada-lovelace-1815", "must not contain the account name"),
        ("x" * 1025, "at most 1024 characters"),
    ],
    ids=["empty", "blank", "short", "repetitive", "common", "contains the name", "overlong"],
)
def test_weak_passwords_are_refused_saying_why(password: str, why: str) -> None:
    with pytest.raises(WeakPassword, match=re.escape(why)):
        check_strength(password, "ada")


def test_a_long_unremarkable_passphrase_is_accepted() -> None:
    check_strength("violin practice at dawn", "ada")


# -- signing -----------------------------------------------------------------------------------------


class Seconds:
    def __init__(self) -> None:
        self.now = 1_740_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_signed_value_comes_back_until_it_expires() -> None:
    clock = Seconds()
    signer = Signer(SECRET, "session", clock)
    token = signer.sign({"u": 7, "c": "csrf"})

    assert signer.unsign(token, max_age=60) == {"u": 7, "c": "csrf"}
    clock.now += 61
    with pytest.raises(BadSignature, match="expired"):
        signer.unsign(token, max_age=60)


@pytest.mark.parametrize("change", ["payload", "signature", "truncate", "garbage", "empty"])
def test_a_tampered_token_is_refused(change: str) -> None:
    signer = Signer(SECRET, "session", Seconds())
    token = signer.sign({"u": 7})
    body, mac = token.split(".")
    forged = {
        "payload": Signer(SECRET, "session", Seconds()).sign({"u": 1}).split(".")[0] + "." + mac,
        "signature": body + "." + mac[:-1] + ("A" if mac[-1] != "A" else "B"),
        "truncate": body,
        "garbage": "%%%.@@@",
        "empty": "",
    }[change]

    with pytest.raises(BadSignature):
        signer.unsign(forged, max_age=60)


def test_a_value_signed_for_one_purpose_or_key_is_refused_for_another() -> None:
    token = Signer(SECRET, "web-learner", Seconds()).sign("learner-id-0123456789")

    with pytest.raises(BadSignature):
        Signer(SECRET, "session", Seconds()).unsign(token, max_age=60)
    with pytest.raises(BadSignature):
        Signer(b"another secret, also thirty-two bytes long", "web-learner", Seconds()).unsign(token, 60)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Signer(b"too short", "session")


# -- the secret key ----------------------------------------------------------------------------------


def test_without_a_configured_key_one_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = load_secret_key(None, tmp_path)

    path = tmp_path / FILE_NAME
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(None, tmp_path) == first  # a restart keeps everyone's cookies valid
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no drafts left behind


def test_workers_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    keys: list[bytes] = []
    def start() -> None:
        keys.append(load_secret_key(None, tmp_path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(keys) == 8 and len(set(keys)) == 1


def test_a_configured_key_wins_and_must_be_long_enough(tmp_path: Path) -> None:
    assert load_secret_key("k" * 40, tmp_path) == b"k" * 40
    assert not (tmp_path / FILE_NAME).exists()
    with pytest.raises(SecretKeyError, match="at least 32 characters"):
        load_secret_key("short", tmp_path)


def test_an_unusable_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("")
    os.chmod(tmp_path / FILE_NAME, 0o600)

    with pytest.raises(SecretKeyError, match="delete it"):
        load_secret_key(None, tmp_path)


# -- API tokens, roles, origins ----------------------------------------------------------------------


def test_a_new_token_is_random_and_only_its_digest_and_prefix_are_meant_to_be_kept() -> None:
    one, two = new_token(), new_token()

    assert one.token != two.token and looks_like_token(one.token)
    assert one.digest == digest(one.token) and len(one.digest) == 64 and one.token not in one.digest
    assert one.prefix == one.token[:PREFIX_CHARS] and one.prefix.startswith("etude_")
    assert not looks_like_token(one.token + "x") and not looks_like_token("Bearer " + one.token)


def test_roles_are_ordered_admin_over_instructor_over_learner() -> None:
    assert Role.ADMIN.covers(Role.INSTRUCTOR) and Role.INSTRUCTOR.covers(Role.LEARNER)
    assert not Role.LEARNER.covers(Role.INSTRUCTOR) and not Role.INSTRUCTOR.covers(Role.ADMIN)
    assert Role.parse(" Admin ") is Role.ADMIN
    with pytest.raises(ValueError, match="use one of learner, instructor, admin"):
        Role.parse("root")
    assert tuple(role.value for role in Role) == ROLES  # the database's CHECK constraint agrees


def test_trusted_origins_are_normalised_and_a_wildcard_is_refused() -> None:
    assert normalise_origin("HTTPS://Teacher.Example/") == "https://teacher.example"
    assert Origins(["https://a.example", "http://b.example:8080"]).listed("https://A.example")
    for bad in ("teacher.example", "https://a.example/path", "ftp://a.example", "https://user@a.example"):
        with pytest.raises(ValueError):
            normalise_origin(bad)
    with pytest.raises(ValueError, match="list the sites"):
        Origins(["*"])
