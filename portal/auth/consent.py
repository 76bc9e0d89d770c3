"""Consent to the privacy notice: asked at registration and again when the notice changes."""

from __future__ import annotations

from flask import current_app

from portal.models import User


def needs_consent(user: User) -> bool:
    """A returnee who agreed to an older version of the notice must agree to the current one.

    A returnee with no recorded consent (an account made from the command line) is asked too.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_returnee:
        return False
    profile = user.profile
    if profile is None:
        return True
    return profile.consent_version != current_app.config["PRIVACY_NOTICE_VERSION"]
