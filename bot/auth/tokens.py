"""API tokens for scripts: `etude_` and 43 characters of randomness (32 bytes, base64url).

Only a SHA-256 of a token is stored. A token is looked up by that digest, so a leaked database gives
away no usable token; the randomness makes a slow hash unnecessary (nothing to guess). The first
characters (`prefix`) are kept in clear to tell tokens apart in listings and to revoke one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

SCHEME = "etude_"
PREFIX_CHARS = len(SCHEME) + 8  # "etude_" and 8 random characters: 48 bits, enough to tell apart
TOKEN_PATTERN = re.compile(r"etude_[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once, to the one who asked for it
    digest: str
    prefix: str


def new_token() -> NewToken:
    token = SCHEME + secrets.token_urlsafe(32)
    return NewToken(token, digest(token), token[:PREFIX_CHARS])


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether `text` has a token's shape (checked before any database lookup)."""
    return TOKEN_PATTERN.fullmatch(text) is not None
