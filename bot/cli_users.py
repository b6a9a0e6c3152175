"""`etude users …`: console accounts and their API tokens.

Passwords are read from a hidden prompt (asked twice) or, for scripts, from one line of stdin with
`--password-stdin`; never from the command line, where other users could see them. A new API token
is printed once and only its hash is kept.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.logs import stderr
from bot.settings import get_settings

stdout = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Console accounts (learner, instructor, admin) and API tokens.",
                        no_args_is_help=True)
    users.command("add")(add)
    users.command("list")(list_users)
    users.command("password")(password)
    users.command("token")(token)
    users.command("tokens")(tokens)
    users.command("revoke-token")(revoke_token)
    app.add_typer(users, name="users")


def add(
    name: Annotated[str, typer.Argument(help="Account name: letters a-z, digits, '.', '_', '-'.")],
    role: Annotated[str, typer.Option(help="learner, instructor or admin.")],
    password_stdin: PasswordStdin = False,
    as_json: JsonOpt = False,
) -> None:
    """Add an account."""
    from bot.auth.accounts import normalise_name
    from bot.auth.passwords import Passwords, check_strength
    from bot.auth.roles import Role

    with _errors():
        try:
            parsed = Role.parse(role)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        name = normalise_name(name)
        secret = _read_password(password_stdin)
        check_strength(secret, name)
        with _accounts() as accounts:
            user = accounts.add_user(name, parsed, Passwords().hash(secret), datetime.now(UTC))
    result = {"name": user.name, "role": user.role.value, "created_at": user.created_at.isoformat()}
    _report(result, as_json, f"added {user.name} ({user.role})")


def list_users(as_json: JsonOpt = False) -> None:
    """Every account, with its lockout state and active API tokens."""
    with _errors(), _accounts() as accounts:
        users, all_tokens = accounts.users(), accounts.tokens()
    now = datetime.now(UTC)
    rows = [
        {
            "name": user.name,
            "role": user.role.value,
            "created_at": user.created_at.isoformat(),
            "locked_until": user.locked_until.isoformat() if user.locked(now) else None,
            "failed_logins": user.failed_logins,
            "active_tokens": sum(1 for t in all_tokens if t.user_id == user.id and t.active),
        }
        for user in users
    ]
    if as_json:
        _emit({"users": rows})
        return
    table = Table(title=f"{len(rows)} account{'s' if len(rows) != 1 else ''}")
    for column in ("name", "role", "created", "locked until", "active tokens"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["role"], row["created_at"][:19], row["locked_until"] or "",
                      str(row["active_tokens"]))
    stdout.print(table)


def password(
    name: Annotated[str, typer.Argument(help="The account.")],
    password_stdin: PasswordStdin = False,
    as_json: JsonOpt = False,
) -> None:
    """Set an account's password (this also lifts a lockout and ends its sessions)."""
    from bot.auth.accounts import normalise_name
    from bot.auth.passwords import Passwords, check_strength

    with _errors():
        name = normalise_name(name)
        with _accounts() as accounts:
            if accounts.user(name) is None:
                raise UsageError(f"there is no account named {name!r}")
            secret = _read_password(password_stdin)
            check_strength(secret, name)
            accounts.set_password(name, Passwords().hash(secret))
    _report({"name": name, "password_changed": True}, as_json, f"set a new password for {name}")


def token(
    name: Annotated[str, typer.Argument(help="The account the token acts as.")],
    label: Annotated[str | None, typer.Option(help="What the token is for, e.g. 'nightly export'.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token (`Authorization: Bearer <token>`); it is printed once, keep it safe."""
    from bot.auth.tokens import new_token

    fresh = new_token()
    with _errors(), _accounts() as accounts:
        saved = accounts.add_token(name, fresh, label, datetime.now(UTC))
    if as_json:
        _emit({"name": saved.user_name, "token": fresh.token, "prefix": saved.prefix, "label": saved.label,
               "created_at": saved.created_at.isoformat()})
        return
    sys.stdout.write(fresh.token + "\n")
    stderr.print(f"API token {saved.prefix}… for {saved.user_name}: shown only now, store it safely")


def tokens(
    name: Annotated[str | None, typer.Argument(help="Only this account's tokens.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """API tokens (by prefix; the tokens themselves are not kept)."""
    with _errors(), _accounts() as accounts:
        found = accounts.tokens(name)
    rows = [
        {
            "prefix": t.prefix,
            "name": t.user_name,
            "label": t.label,
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in found
    ]
    if as_json:
        _emit({"tokens": rows})
        return
    table = Table(title=f"{len(rows)} API token{'s' if len(rows) != 1 else ''}")
    for column in ("prefix", "account", "label", "created", "last used", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["prefix"], row["name"], row["label"] or "", row["created_at"][:19],
                      (row["last_used_at"] or "")[:19], (row["revoked_at"] or "")[:19])
    stdout.print(table)


def revoke_token(
    prefix: Annotated[str, typer.Argument(help="The token's prefix, as `etude users tokens` lists it.")],
    as_json: JsonOpt = False,
) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    with _errors(), _accounts() as accounts:
        revoked = accounts.revoke_token(prefix, datetime.now(UTC))
    result = {"prefix": revoked.prefix, "name": revoked.user_name,
              "revoked_at": revoked.revoked_at.isoformat() if revoked.revoked_at else None}
    _report(result, as_json, f"revoked {revoked.prefix}… of {revoked.user_name}")


# helpers ----------------------------------------------------------------------------------------


class UsageError(Exception):
    """The command cannot do what was asked; the message says why."""


@contextmanager
def _accounts() -> Iterator[Any]:
    from bot.auth.accounts import AccountStore
    from bot.store import ConversationStore

    with ConversationStore(get_settings().db_url) as store:
        yield AccountStore(store)


@contextmanager
def _errors() -> Iterator[None]:
    """Bad input and refused requests end the command with a clear message and exit status 2."""
    from bot.auth.accounts import AccountError
    from bot.auth.passwords import WeakPassword
    from bot.store import StoreError

    try:
        yield
    except (AccountError, WeakPassword, UsageError, StoreError) as exc:
        stderr.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not _interactive():
        raise UsageError("no terminal to ask for the password on: pipe it in with --password-stdin")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _report(result: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        _emit(result)
    else:
        stdout.print(line, highlight=False, markup=False)
