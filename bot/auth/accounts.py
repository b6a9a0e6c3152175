"""Users and API tokens in the store's database (tables `users` and `api_tokens`, migration 0002).

`AccountStore` only stores and reads; deciding whether a login succeeds is `login.Authenticator`'s
job. Names are lower-case, so "Ada" and "ada" cannot be two accounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Row, Select, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.auth.roles import Role
from bot.auth.tokens import PREFIX_CHARS, NewToken, digest, looks_like_token
from bot.store import NAME_LENGTH, ConversationStore, StoreError, api_tokens, users

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
LABEL_LENGTH = NAME_LENGTH


class AccountError(ValueError):
    """A request about accounts that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: Role
    password_hash: str
    created_at: datetime
    failed_logins: int
    locked_until: datetime | None

    @property
    def learner_id(self) -> str:
        """The sender id this account chats and keeps its progress under."""
        return f"user:{self.name}"

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    user_name: str
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def normalise_name(name: str) -> str:
    """The account name as stored (lower case, trimmed), or AccountError saying what is wrong."""
    if not isinstance(name, str):
        raise AccountError("the account name must be a string")
    normal = name.strip().lower()
    if not normal:
        raise AccountError("the account name is empty")
    if len(normal) > NAME_LENGTH:
        raise AccountError(f"the account name is longer than {NAME_LENGTH} characters")
    if not NAME_PATTERN.fullmatch(normal):
        raise AccountError(
            f"the account name {name!r} may hold only letters a-z, digits, '.', '_' and '-', "
            "and must start with a letter or digit"
        )
    return normal


class AccountStore:
    """Accounts in the conversation store's database, with its transactions and locking."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    # users

    def add_user(self, name: str, role: Role, password_hash: str, now: datetime) -> User:
        name = normalise_name(name)
        row = {"name": name, "role": Role(role).value, "password_hash": password_hash, "created_at": now,
               "failed_logins": 0, "locked_until": None}
        try:
            with self.store.transaction(write=True) as conn:
                if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
                    raise AccountError(f"an account named {name!r} already exists")
                user_id = int(conn.execute(insert(users), row).inserted_primary_key[0])
        except IntegrityError as exc:  # another process added the name meanwhile
            raise AccountError(f"an account named {name!r} already exists") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"could not add the account {name!r}: {exc}") from exc
        return User(id=user_id, **{**row, "role": Role(role)})

    def user(self, name: str) -> User | None:
        try:
            name = normalise_name(name)
        except AccountError:
            return None  # a name no account can have
        return self._one_user(users.c.name == name)

    def user_by_id(self, user_id: int) -> User | None:
        return self._one_user(users.c.id == user_id)

    def users(self) -> list[User]:
        return [_user(row) for row in self._read(select(users).order_by(users.c.name), "list accounts")]

    def _one_user(self, condition: ColumnElement[bool]) -> User | None:
        rows = self._read(select(users).where(condition), "read an account")
        return _user(rows[0]) if rows else None

    def record_failure(self, user_id: int, now: datetime, max_failures: int, lockout: timedelta) -> User:
        """Count a failed login; the `max_failures`-th in a row locks the account for `lockout`
        (and starts the count again, for when the lock ends)."""
        c = users.c
        try:
            with self.store.transaction(write=True) as conn:
                conn.execute(update(users).where(c.id == user_id).values(failed_logins=c.failed_logins + 1))
                failures = conn.execute(select(c.failed_logins).where(c.id == user_id)).scalar_one()
                if failures >= max_failures:
                    locked = {"failed_logins": 0, "locked_until": now + lockout}
                    conn.execute(update(users).where(c.id == user_id).values(**locked))
                row = conn.execute(select(users).where(c.id == user_id)).one()
        except SQLAlchemyError as exc:
            raise StoreError(f"could not record a failed login: {exc}") from exc
        return _user(row)

    def record_success(self, user_id: int, new_hash: str | None = None) -> User:
        """Clear the failure count and any lock; store `new_hash` when the password was rehashed."""
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if new_hash is not None:
            values["password_hash"] = new_hash
        return self._update_user(user_id, values, "record a login")

    def set_password(self, name: str, password_hash: str) -> User:
        """A new password; also lifts a lockout."""
        user = self._require(name)
        values = {"password_hash": password_hash, "failed_logins": 0, "locked_until": None}
        return self._update_user(user.id, values, "set a password")

    def _update_user(self, user_id: int, values: dict[str, object], doing: str) -> User:
        try:
            with self.store.transaction(write=True) as conn:
                conn.execute(update(users).where(users.c.id == user_id).values(**values))
                row = conn.execute(select(users).where(users.c.id == user_id)).one()
        except SQLAlchemyError as exc:
            raise StoreError(f"could not {doing}: {exc}") from exc
        return _user(row)

    def _require(self, name: str) -> User:
        user = self.user(normalise_name(name))
        if user is None:
            raise AccountError(f"there is no account named {normalise_name(name)!r}")
        return user

    # API tokens

    def add_token(self, name: str, token: NewToken, label: str | None, now: datetime) -> ApiToken:
        user = self._require(name)
        if label is not None:
            label = label.strip() or None
            if label is not None and len(label) > LABEL_LENGTH:
                raise AccountError(f"the label is longer than {LABEL_LENGTH} characters")
            if label is not None and "\x00" in label:
                raise AccountError("the label contains a NUL character")
        row = {"user_id": user.id, "token_hash": token.digest, "prefix": token.prefix, "label": label,
               "created_at": now, "last_used_at": None, "revoked_at": None}
        try:
            with self.store.transaction(write=True) as conn:
                token_id = int(conn.execute(insert(api_tokens), row).inserted_primary_key[0])
        except SQLAlchemyError as exc:
            raise StoreError(f"could not add a token for {user.name!r}: {exc}") from exc
        return ApiToken(token_id, user.id, user.name, token.prefix, label, now, None, None)

    def user_by_token(self, digest: str) -> tuple[User, ApiToken] | None:
        """The owner of the active token with this digest, and the token."""
        query = (
            select(users, *_token_columns())
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == digest, api_tokens.c.revoked_at.is_(None))
        )
        rows = self._read(query, "look up a token")
        return (_user(rows[0]), _token(rows[0])) if rows else None

    def touch_token(self, token_id: int, now: datetime) -> None:
        try:
            with self.store.transaction(write=True) as conn:
                conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))
        except SQLAlchemyError as exc:
            raise StoreError(f"could not record a token's use: {exc}") from exc

    def tokens(self, name: str | None = None) -> list[ApiToken]:
        query = (
            select(*_token_columns())
            .join(users, api_tokens.c.user_id == users.c.id)
            .order_by(api_tokens.c.created_at, api_tokens.c.id)
        )
        if name is not None:
            query = query.where(users.c.id == self._require(name).id)
        return [_token(row) for row in self._read(query, "list tokens")]

    def revoke_token(self, prefix: str, now: datetime) -> ApiToken:
        """Revoke the one active token starting with `prefix` (at least its listed prefix), or the
        token given whole."""
        prefix = prefix.strip()
        if len(prefix) < PREFIX_CHARS:
            raise AccountError(
                f"give the token's prefix as listed ({PREFIX_CHARS} characters, like etude_AbCd1234)"
            )
        if looks_like_token(prefix):  # the whole token: exact, even if another shares its prefix
            owned = self.user_by_token(digest(prefix))
            found = [owned[1]] if owned else []
        else:
            found = [t for t in self.tokens() if t.active and prefix.startswith(t.prefix)]
        if not found:
            raise AccountError(f"no active token has the prefix {prefix[:PREFIX_CHARS]!r}")
        if len(found) > 1:
            raise AccountError(
                f"{len(found)} active tokens share the prefix {prefix!r}; give the whole token instead"
            )
        token = found[0]
        try:
            with self.store.transaction(write=True) as conn:
                conn.execute(update(api_tokens).where(api_tokens.c.id == token.id).values(revoked_at=now))
        except SQLAlchemyError as exc:
            raise StoreError(f"could not revoke a token: {exc}") from exc
        return ApiToken(**{**token.__dict__, "revoked_at": now})

    def _read(self, query: Select, doing: str) -> list[Row]:
        try:
            with self.store.transaction(write=False) as conn:
                return list(conn.execute(query))
        except SQLAlchemyError as exc:
            raise StoreError(f"could not {doing}: {exc}") from exc


def _token_columns() -> tuple[ColumnElement, ...]:
    t = api_tokens.c
    return (t.id.label("token_id"), t.user_id, users.c.name.label("user_name"), t.prefix, t.label,
            t.created_at.label("token_created_at"), t.last_used_at, t.revoked_at)


def _user(row: Row) -> User:
    return User(row.id, row.name, Role(row.role), row.password_hash, row.created_at, row.failed_logins,
                row.locked_until)


def _token(row: Row) -> ApiToken:
    return ApiToken(row.token_id, row.user_id, row.user_name, row.prefix, row.label, row.token_created_at,
                    row.last_used_at, row.revoked_at)
