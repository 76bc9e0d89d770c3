"""What a returnee tells about themselves: consent to the privacy notice and the profile."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import ContactPreference, ReturneeProfile, User
from portal.services.errors import PermissionDenied
from portal.services.workflow import record_event


def record_consent(session: Session, user: User, version: str) -> None:
    """The returnee agrees to this version of the privacy notice."""
    profile = user.profile
    assert profile is not None
    profile.consent_version = version
    profile.consent_at = utcnow()
    record_event(
        session,
        "consent_given",
        user,
        subject_type="user",
        subject_id=user.id,
        data={"version": version},
    )
    session.flush()


def update_profile(
    session: Session,
    user: User,
    *,
    region_code: str,
    return_date: date,
    country_returned_from: str,
    household_size: int,
    vulnerabilities: list[str],
    contact_preference: ContactPreference,
    preferred_locale: str,
) -> ReturneeProfile:
    """A returnee saves their own profile (only the owner; any time)."""
    if not user.is_returnee:
        raise PermissionDenied(_l("Only returnees have a profile."))
    profile = user.profile
    if profile is None:
        profile = ReturneeProfile(user_id=user.id, vulnerabilities=[])
        session.add(profile)
    before = {
        "region_code": profile.region_code,
        "return_date": profile.return_date,
        "country_returned_from": profile.country_returned_from,
        "household_size": profile.household_size,
        "vulnerabilities": list(profile.vulnerabilities or []),
        "contact_preference": profile.contact_preference,
    }
    profile.region_code = region_code
    profile.return_date = return_date
    profile.country_returned_from = country_returned_from
    profile.household_size = household_size
    profile.vulnerabilities = list(vulnerabilities)
    profile.contact_preference = ContactPreference(contact_preference)
    profile.updated_at = utcnow()
    changed = [k for k, v in before.items() if getattr(profile, k) != v]
    if user.preferred_locale != preferred_locale:
        user.preferred_locale = preferred_locale
        changed.append("preferred_locale")
    # Field names only: the audit trail holds no personal data.
    record_event(
        session,
        "profile_updated",
        user,
        subject_type="user",
        subject_id=user.id,
        data={"fields": sorted(changed)},
    )
    session.flush()
    return profile
