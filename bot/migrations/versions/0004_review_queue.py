"""The console's review queue: instructors' verdicts on turns (`reviews`) and their corrections.

`reviews` holds one row a reviewed turn, its latest status (`skipped`: not useful for training, or
`corrected`); `corrections` keeps every correction made (text, intent, entity spans, who, when), and
the latest one of a turn is what the training-data export uses.

Revision ID: 0004
Revises: 0003
Create Date: 2025-04-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NAME_LENGTH = 255


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("turn_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name="fk_reviews_turn_id_turns", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name="fk_reviews_reviewer_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("turn_id", name="pk_reviews"),
        sa.CheckConstraint("status IN ('skipped', 'corrected')", name="ck_reviews_status"),
    )
    op.create_table(
        "corrections",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("turn_id", BIG_ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(NAME_LENGTH), nullable=False),
        sa.Column("entities", JSON_VALUE, nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name="fk_corrections_turn_id_turns", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name="fk_corrections_reviewer_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_corrections"),
    )
    op.create_index("ix_corrections_turn_id", "corrections", ["turn_id"])


def downgrade() -> None:
    op.drop_index("ix_corrections_turn_id", table_name="corrections")
    op.drop_table("corrections")
    op.drop_table("reviews")
