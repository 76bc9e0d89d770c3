"""The demo data agrees with itself per person: country, household, dates, status and age."""

from __future__ import annotations

import re
from datetime import timedelta

from babel import Locale
from sqlalchemy import select

from portal.db import utcnow
from portal.demo import RETURNEES
from portal.models import AssistanceRequest, RequestStatus, ReturneeProfile, User


def test_demo_people_are_consistent(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--password", "demo-pass-123"])
    assert result.exit_code == 0, result.output
    countries = {c for *_, c in RETURNEES}
    now = utcnow()
    requests = db.scalars(select(AssistanceRequest)).all()
    assert requests
    for req in requests:
        owner = db.get(User, req.owner_id)
        profile = db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == owner.id))
        # Came back before asking for help.
        assert profile.return_date < req.created_at.date()
        # The household in the answers is the household of the profile.
        if "household" in (req.answers or {}):
            assert req.answers["household"] == profile.household_size
        # A story names only the country this person came back from.
        text = " ".join(str(v) for v in [req.description, *(req.answers or {}).values()] if v)
        for code in countries - {profile.country_returned_from}:
            for lang in ("az", "ru", "en"):
                name = Locale.parse(lang).territories[code]
                assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text), (code, text)
        # "Received, soon" is said only of a request sent in the last two days.
        if req.status == RequestStatus.SUBMITTED:
            assert now - req.created_at < timedelta(days=2, hours=1)
