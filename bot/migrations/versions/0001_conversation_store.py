"""Conversation store: conversations, turns with their tracker events, behaviour events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("turn_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("last_active_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.UniqueConstraint("sender_id", name="uq_conversations_sender_id"),
    )
    op.create_table(
        "turns",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("parse", JSON_VALUE, nullable=False),
        sa.Column("actions", JSON_VALUE, nullable=False),
        sa.Column("events", JSON_VALUE, nullable=False),
        sa.Column("replies", JSON_VALUE, nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_turns_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_turns"),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_turns_conversation_id_seq"),
    )
    op.create_index("ix_turns_started_at", "turns", ["started_at"])
    op.create_table(
        "behavior_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("turn_id", BIG_ID, nullable=True),
        sa.Column("learner_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("concept", sa.String(255), nullable=True),
        sa.Column("item", sa.String(255), nullable=True),
        sa.Column("outcome", sa.String(64), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name="fk_behavior_events_turn_id_turns", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_behavior_events"),
    )
    op.create_index("ix_behavior_events_learner_id_at", "behavior_events", ["learner_id", "at"])
    op.create_index("ix_behavior_events_kind_at", "behavior_events", ["kind", "at"])
    op.create_index("ix_behavior_events_concept", "behavior_events", ["concept"])
    op.create_index("ix_behavior_events_at", "behavior_events", ["at"])
    op.create_index("ix_behavior_events_turn_id", "behavior_events", ["turn_id"])


def downgrade() -> None:
    op.drop_table("behavior_events")
    op.drop_table("turns")
    op.drop_table("conversations")
