"""drafts, referral updates, assistance records, api tokens

Revision ID: f87e8302160d
Revises: 93e82203b5ee
Create Date: 2026-11-26 17:51:38.975781
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'f87e8302160d'
down_revision: str | None = '93e82203b5ee'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner_organisations.id'], name=op.f('fk_api_tokens_partner_id_partner_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_api_tokens_partner_id', ['partner_id'], unique=False)

    op.create_table('request_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('housing', 'employment', 'documentation', name='category', native_enum=False, length=20), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('submission_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_request_drafts_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_drafts')),
    sa.UniqueConstraint('owner_id', name=op.f('uq_request_drafts_owner_id'))
    )
    op.create_table('assistance_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount_azn', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('units', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_assistance_records_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_assistance_records_referral_id_referrals')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_requests.id'], name=op.f('fk_assistance_records_request_id_assistance_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_records'))
    )
    with op.batch_alter_table('assistance_records', schema=None) as batch_op:
        batch_op.create_index('ix_assistance_records_referral_id', ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_records_request_id'), ['request_id'], unique=False)

    op.create_table('referral_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_referral_updates_author_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_updates_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_updates'))
    )
    with op.batch_alter_table('referral_updates', schema=None) as batch_op:
        batch_op.create_index('ix_referral_updates_referral_created', ['referral_id', 'created_at'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('for_partner', sa.Boolean(), nullable=False, server_default=sa.false())
        )



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('for_partner')

    with op.batch_alter_table('referral_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_updates_referral_created')

    op.drop_table('referral_updates')
    with op.batch_alter_table('assistance_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_records_request_id'))
        batch_op.drop_index('ix_assistance_records_referral_id')

    op.drop_table('assistance_records')
    op.drop_table('request_drafts')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_api_tokens_partner_id')

    op.drop_table('api_tokens')
