"""Turns' intent and NLU confidence as columns (indexed intent), copied from their parse, for the console.

The parse stays the record; the columns copy its `intent.name` and `intent.confidence` so the
console's filters are plain SQL on SQLite and PostgreSQL alike. Existing turns are filled in here,
in batches; the store fills new ones as it saves them.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-01
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 1000
NAME_LENGTH = 255


def upgrade() -> None:
    op.add_column("turns", sa.Column("intent", sa.String(NAME_LENGTH), nullable=True))
    op.add_column("turns", sa.Column("confidence", sa.Float(), nullable=True))
    op.create_index("ix_turns_intent", "turns", ["intent"])
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_turns_intent", table_name="turns")
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("confidence")
        batch.drop_column("intent")


def _backfill(conn: sa.Connection) -> None:
    """Copy intent and confidence out of every saved turn's parse, by ascending id, BATCH at a time."""
    turns = sa.table(
        "turns",
        sa.column("id", BIG_ID),
        sa.column("parse", JSON_VALUE),
        sa.column("intent", sa.String(NAME_LENGTH)),
        sa.column("confidence", sa.Float()),
    )
    fill = (
        sa.update(turns)
        .where(turns.c.id == sa.bindparam("turn_id"))
        .values(intent=sa.bindparam("new_intent"), confidence=sa.bindparam("new_confidence"))
    )
    last = None
    while True:
        query = sa.select(turns.c.id, turns.c.parse).order_by(turns.c.id).limit(BATCH)
        if last is not None:
            query = query.where(turns.c.id > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        values = []
        for turn_id, parse in rows:
            intent, confidence = _intent_of(parse)
            if intent is not None or confidence is not None:
                values.append({"turn_id": turn_id, "new_intent": intent, "new_confidence": confidence})
        if values:
            conn.execute(fill, values)
        last = rows[-1][0]


def _intent_of(parse: Any) -> tuple[str | None, float | None]:
    """As the store reads a parse when saving a turn (frozen here as it was when this was written)."""
    intent = parse.get("intent") if isinstance(parse, dict) else None
    if not isinstance(intent, dict):
        return None, None
    name, confidence = intent.get("name"), intent.get("confidence")
    name = name[:NAME_LENGTH] if isinstance(name, str) and name else None
    number = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    return name, float(confidence) if number and math.isfinite(confidence) else None
