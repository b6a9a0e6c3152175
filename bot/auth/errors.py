"""Refusals: 401 (who are you?) and 403 (not you, or not from there). `page` marks a refusal of a
console page, answered with HTML; the others are answered `{"error": message}`."""

from __future__ import annotations


class AuthFailure(Exception):
    status = 400

    def __init__(self, message: str, *, page: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.page = page

    def for_page(self) -> AuthFailure:
        return type(self)(self.message, page=True)


class NotAuthenticated(AuthFailure):
    status = 401


class Forbidden(AuthFailure):
    status = 403
