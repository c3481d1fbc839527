"""transcript turn interrupted flag

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:38:25.123607
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("transcript_turns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interrupted", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:

    with op.batch_alter_table("transcript_turns", schema=None) as batch_op:
        batch_op.drop_column("interrupted")
