"""Alembic migrations of the conversation store (`bot.store`); the store applies them when it opens.

Developers can also run Alembic directly: `alembic -c bot/migrations/alembic.ini upgrade head`
(the database is `ETUDE_DATABASE_URL`, or `-x url=...`); after changing `bot.store.metadata`,
`alembic -c bot/migrations/alembic.ini revision --autogenerate -m "..."` drafts the next migration.
"""
