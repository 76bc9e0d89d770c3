"""A readmitted person claims the demo's invitation on a phone (issue 14, "Done when").

The code is the one `demo load` printed. On a Pixel 5 the person types it with the phone number
and a password, lands on the profile and finds it pre-filled from the readmission case: region,
country returned from, date of return and date of birth.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text

from tests.e2e.conftest import LIVE, PASSWORD, check_returnee_page


def test_the_printed_invitation_is_claimed_on_a_phone_and_the_profile_is_prefilled(
    live_server, phone
):
    found = re.search(
        r"code (\w{4}-\w{4}) for phone (\+\d+) at /az/invitation", LIVE["demo_output"]
    )
    assert found, LIVE["demo_output"][-2000:]
    code, number = found.groups()
    engine = create_engine(LIVE["database_url"])
    with engine.connect() as conn:
        case = conn.execute(
            text(
                "SELECT region_code, requesting_state, returned_on, birth_date, full_name "
                "FROM readmission_cases WHERE phone = :p AND status = 'invited'"
            ),
            {"p": number},
        ).one()
    context = phone("az")
    page = context.new_page()
    page.goto(f"{live_server}/az/invitation")
    check_returnee_page(context, page, "invitation-az")
    page.fill("input[name=code]", code.lower())  # as typed on a phone: case does not matter
    page.fill("input[name=phone]", number)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.check("input[name=consent]")
    page.locator("form[action$='/invitation'] button[type=submit]").click()
    page.wait_for_url("**/az/my/profile")
    check_returnee_page(context, page, "invitation-profile-az")
    assert page.locator("select[name=region_code]").input_value() == case.region_code
    assert page.locator("select[name=country_returned_from]").input_value() == (
        case.requesting_state
    )
    year, month, day = (int(x) for x in str(case.returned_on).split("-"))
    parts = {
        p: page.locator(f"input[name=return_date-{p}]").input_value()
        for p in ("year", "month", "day")
    }
    assert (int(parts["year"]), int(parts["month"]), int(parts["day"])) == (year, month, day)
    born = "{2}.{1}.{0}".format(*str(case.birth_date).split("-"))  # az: dd.mm.yyyy
    assert born in page.content(), born
    with engine.connect() as conn:
        linked = conn.execute(
            text(
                "SELECT c.status, u.full_name FROM readmission_cases c "
                "JOIN users u ON u.id = c.user_id WHERE c.phone = :p"
            ),
            {"p": number},
        ).one()
    engine.dispose()
    assert (linked.status, linked.full_name) == ("claimed", case.full_name)
