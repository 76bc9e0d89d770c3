"""initial schema

Revision ID: 93e82203b5ee
Revises: 
Create Date: 2026-11-26 17:42:59.314851
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '93e82203b5ee'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('partner_organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_az', sa.String(length=200), nullable=False),
    sa.Column('name_ru', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('ngo', 'state_agency', 'international', name='partnerkind', native_enum=False, length=20), nullable=False),
    sa.Column('contact_person', sa.String(length=120), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_organisations'))
    )
    with op.batch_alter_table('partner_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_organisations_is_active'), ['is_active'], unique=False)

    op.create_table('partner_coverage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('housing', 'employment', 'documentation', name='category', native_enum=False, length=20), nullable=False),
    sa.Column('region_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner_organisations.id'], name=op.f('fk_partner_coverage_partner_id_partner_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_coverage')),
    sa.UniqueConstraint('partner_id', 'category', 'region_code', name='uq_partner_coverage_pair')
    )
    with op.batch_alter_table('partner_coverage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_coverage_region_code'), ['region_code'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('returnee', 'social_worker', 'partner', 'admin', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('preferred_locale', sa.String(length=5), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('is_partner_lead', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partner_organisations.id'], name=op.f('fk_users_partner_id_partner_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('phone', name=op.f('uq_users_phone'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('assistance_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=9), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('housing', 'employment', 'documentation', name='category', native_enum=False, length=20), nullable=False),
    sa.Column('subtype', sa.String(length=40), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('urgency', sa.Enum('today', 'this_week', 'this_month', name='urgency', native_enum=False, length=20), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='priority', native_enum=False, length=10), nullable=False),
    sa.Column('priority_rank', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'in_review', 'needs_info', 'referred', 'in_progress', 'assistance_provided', 'closed', 'withdrawn', name='requeststatus', native_enum=False, length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('close_outcome', sa.Enum('help_given', 'duplicate', 'not_eligible', 'unreachable', 'withdrawn', name='closeoutcome', native_enum=False, length=20), nullable=True),
    sa.Column('submission_key', sa.String(length=64), nullable=True),
    sa.Column('times_declined', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_assistance_requests_assignee_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_assistance_requests_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_requests')),
    sa.UniqueConstraint('owner_id', 'submission_key', name='uq_assistance_requests_submission'),
    sa.UniqueConstraint('reference', name=op.f('uq_assistance_requests_reference'))
    )
    with op.batch_alter_table('assistance_requests', schema=None) as batch_op:
        batch_op.create_index('ix_assistance_requests_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_assistance_requests_category_created', ['category', 'created_at'], unique=False)
        batch_op.create_index('ix_assistance_requests_created_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_assistance_requests_owner_created', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_assistance_requests_region_created', ['region_code', 'created_at'], unique=False)
        batch_op.create_index('ix_assistance_requests_status_created', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_assistance_requests_status_priority', ['status', 'priority_rank', 'created_at'], unique=False)

    op.create_table('returnee_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=40), nullable=True),
    sa.Column('return_date', sa.Date(), nullable=True),
    sa.Column('country_returned_from', sa.String(length=2), nullable=True),
    sa.Column('household_size', sa.Integer(), nullable=True),
    sa.Column('vulnerabilities', sa.JSON(), nullable=False),
    sa.Column('contact_preference', sa.Enum('phone_call', 'sms', 'email', 'portal', name='contactpreference', native_enum=False, length=20), nullable=True),
    sa.Column('consent_version', sa.String(length=20), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_returnee_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_returnee_profiles')),
    sa.UniqueConstraint('user_id', name=op.f('uq_returnee_profiles_user_id'))
    )
    with op.batch_alter_table('returnee_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_returnee_profiles_region_code'), ['region_code'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_user_sessions_user_id', ['user_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.Enum('shared', 'internal', name='messagevisibility', native_enum=False, length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_messages_author_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_requests.id'], name=op.f('fk_messages_request_id_assistance_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_request_created', ['request_id', 'created_at'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'completed', 'cancelled', name='referralstatus', native_enum=False, length=20), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decline_reason', sa.Enum('no_capacity', 'outside_area', 'not_our_kind', 'other', name='declinereason', native_enum=False, length=20), nullable=True),
    sa.Column('decline_note', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partner_organisations.id'], name=op.f('fk_referrals_partner_id_partner_organisations')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_requests.id'], name=op.f('fk_referrals_request_id_assistance_requests')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_referrals_sent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_partner_status', ['partner_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_referrals_request_id', ['request_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('subject_type', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_events_actor_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_events_referral_id_referrals')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_requests.id'], name=op.f('fk_events_request_id_assistance_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_request_created', ['request_id', 'created_at'], unique=False)
        batch_op.create_index('ix_events_subject', ['subject_type', 'subject_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_subject')
        batch_op.drop_index('ix_events_request_created')

    op.drop_table('events')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_request_id')
        batch_op.drop_index('ix_referrals_partner_status')

    op.drop_table('referrals')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_request_created')

    op.drop_table('messages')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_user_sessions_user_id')

    op.drop_table('user_sessions')
    with op.batch_alter_table('returnee_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_returnee_profiles_region_code'))

    op.drop_table('returnee_profiles')
    with op.batch_alter_table('assistance_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_requests_status_priority')
        batch_op.drop_index('ix_assistance_requests_status_created')
        batch_op.drop_index('ix_assistance_requests_region_created')
        batch_op.drop_index('ix_assistance_requests_owner_created')
        batch_op.drop_index('ix_assistance_requests_created_id')
        batch_op.drop_index('ix_assistance_requests_category_created')
        batch_op.drop_index('ix_assistance_requests_assignee_status')

    op.drop_table('assistance_requests')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))
        batch_op.drop_index(batch_op.f('ix_users_partner_id'))

    op.drop_table('users')
    with op.batch_alter_table('partner_coverage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_coverage_region_code'))

    op.drop_table('partner_coverage')
    with op.batch_alter_table('partner_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_organisations_is_active'))

    op.drop_table('partner_organisations')
