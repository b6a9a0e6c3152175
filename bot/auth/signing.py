"""Signed, timestamped values for cookies: readable by the client, unforgeable without the key.

A token is `base64url(JSON {"v": value, "t": unix time}) "." base64url(HMAC-SHA256)`. Each use
(session, learner) signs with its own key derived from the secret, so a value signed for one purpose
is never accepted for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any


class BadSignature(ValueError):
    """The token was not signed by us for this purpose, is malformed, or has expired."""


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose, so keys for different purposes are independent."""
    return hmac.new(secret, b"etude-signing-key:" + purpose.encode(), hashlib.sha256).digest()


class Signer:
    def __init__(self, secret: bytes, purpose: str, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 32:
            raise ValueError("the signing secret must be at least 32 bytes")
        self._key = derive_key(secret, purpose)
        self.clock = clock

    def sign(self, value: Any) -> str:
        """`value` (anything JSON can hold) signed with the current time."""
        body = json.dumps({"v": value, "t": int(self.clock())}, separators=(",", ":"), sort_keys=True)
        encoded = _encode(body.encode())
        return f"{encoded}.{self._mac(encoded)}"

    def unsign(self, token: str, max_age: float) -> Any:
        """The value of a token we signed at most `max_age` seconds ago; BadSignature otherwise."""
        encoded, dot, mac = token.rpartition(".")
        if not dot or not encoded or not hmac.compare_digest(mac, self._mac(encoded)):
            raise BadSignature("the signature does not match")
        try:
            body = json.loads(_decode(encoded))
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise BadSignature(f"the signed value is malformed: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("t"), int) or "v" not in body:
            raise BadSignature("the signed value is malformed")
        age = self.clock() - body["t"]
        if age > max_age:
            raise BadSignature("the signed value has expired")
        if age < -60:  # signed in the future: a clock jump, or a key shared with a broken signer
            raise BadSignature("the signed value is dated in the future")
        return body["v"]

    def _mac(self, encoded: str) -> str:
        return _encode(hmac.new(self._key, encoded.encode("ascii", "replace"), hashlib.sha256).digest())
