"""A record of every erasure of a learner's data (`ConversationStore.erase_learner`).

One row an erasure: when, through which way in (`via`: the learner themselves, the console, the API,
the CLI), which account asked (`erased_by`, when it was one) and how many rows of each table went.
It holds nothing of the learner's sender id, not even a digest: the point of an erasure is that the
service forgets who it was about (see `erase_learner`).

Revision ID: 0005
Revises: 0004
Create Date: 2025-05-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("erased_at", UTC_TIME, nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("erased_by", sa.Integer(), nullable=True),
        sa.Column("counts", JSON_VALUE, nullable=False),
        sa.ForeignKeyConstraint(
            ["erased_by"], ["users.id"], name="fk_erasures_erased_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_erasures"),
    )
    op.create_index("ix_erasures_erased_at", "erasures", ["erased_at"])


def downgrade() -> None:
    op.drop_index("ix_erasures_erased_at", table_name="erasures")
    op.drop_table("erasures")
