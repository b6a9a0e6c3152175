"""Accounts and access: who a request is, and what it may do.

- `roles`: learner ⊂ instructor ⊂ admin.
- `passwords`: argon2 hashing with rehash-on-login, and the password policy.
- `accounts`: users and API tokens in the store's database (`AccountStore`).
- `login`: checking a name and password, with lockout after repeated failures.
- `signing`: HMAC-signed, timestamped values (cookies); `secret`: the key they are signed with.
- `sessions`: the console's session cookie and its CSRF token.
- `learners`: the web learner's cookie, and which sender ids each channel may use.
- `tokens`: API tokens for scripts (only their SHA-256 is stored).
- `origins`: which browser origins are trusted with cookies (CORS lives in `bot.cors`).
- `gate`: `Auth`, everything above assembled for the app; `deps`: FastAPI dependencies;
  `errors`: the 401 and 403 refusals they raise.
"""
