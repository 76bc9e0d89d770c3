"""Issue 10 item 4: sign-in limits that protect without locking people out."""

from __future__ import annotations

import time

import pytest
import redis

from portal.models import Role
from tests.conftest import PASSWORD, sign_in
from tests.functional.accounts.helpers import SMS, client_at, last_code, post_form

REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of these tests' own, emptied around them


def limited(app_factory, **overrides):
    return app_factory(RATELIMIT_ENABLED=True, **overrides)


def test_failures_pause_only_that_account(app_factory, factory):
    app = limited(app_factory, ACCOUNT_FAILURE_LIMIT="3 per minute")
    victim = factory.user(Role.RETURNEE)
    colleague = factory.user(Role.RETURNEE)
    attacker = client_at(app, "10.0.0.66")
    codes = [sign_in(attacker, victim.login, "wrong-password-1").status_code for _ in range(3)]
    assert codes == [400, 400, 400]
    # Refused now, even with the right password, and in words that say what to do.
    response = sign_in(client_at(app, "10.0.0.5"), victim.login)
    assert response.status_code == 429
    assert "signing in to it is paused for a few minutes" in response.get_data(as_text=True)
    # Everyone else, from any address (the attacker's too), still signs in.
    assert sign_in(client_at(app, "10.0.0.66"), colleague.login).status_code == 302


def test_an_unknown_login_is_paused_like_a_known_one(app_factory, factory):
    app = limited(app_factory, ACCOUNT_FAILURE_LIMIT="2 per minute")
    client = client_at(app, "10.0.0.1")
    codes = [sign_in(client, "+994509999999", "wrong-password-1").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    codes = [sign_in(client, "nobody@example.az", "wrong-password-1").status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_successful_sign_ins_never_use_up_a_limit(app_factory, factory):
    app = limited(app_factory, ADDRESS_FAILURE_LIMIT="3 per minute")
    people = [factory.user(Role.SOCIAL_WORKER) for _ in range(4)]
    for _ in range(5):
        for person in people:
            assert sign_in(client_at(app, "10.0.0.1"), person.login).status_code == 302


def test_an_office_behind_one_address_is_not_locked_out(app_factory, factory):
    """Default limits: 20 colleagues each mistype once behind one address, then all sign in."""
    app = limited(app_factory)
    staff = [factory.user(Role.SOCIAL_WORKER) for _ in range(20)]
    for person in staff:
        assert sign_in(client_at(app, "10.0.0.1"), person.login, "typo-password").status_code == 400
    for person in staff:
        assert sign_in(client_at(app, "10.0.0.1"), person.login).status_code == 302


def test_too_many_failures_from_one_address_are_refused(app_factory):
    app = limited(app_factory, ADDRESS_FAILURE_LIMIT="30 per minute")
    client = client_at(app, "10.0.0.1")
    codes = [
        sign_in(client, f"+99450{1000000 + i}", "wrong-password-1").status_code for i in range(31)
    ]
    assert codes == [400] * 30 + [429]
    response = sign_in(client, "+994502000000", "wrong-password-1", lang="ru")
    assert "Из Вашей сети слишком много неудачных попыток" in response.get_data(as_text=True)
    assert sign_in(client_at(app, "10.0.0.2"), "+994502000000", "x-wrong-pw").status_code == 400


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app_factory):
    app = limited(app_factory, ADDRESS_FAILURE_LIMIT="2 per minute")
    codes = []
    for i in range(3):
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{i}"
        codes.append(sign_in(client, f"+99450{1000000 + i}", "wrong-password-1").status_code)
    assert codes == [400, 400, 429]


def test_behind_one_trusted_proxy_each_client_has_its_own_limit(app_factory, factory):
    app = limited(app_factory, ADDRESS_FAILURE_LIMIT="2 per minute", TRUSTED_PROXY_COUNT=1)

    def via_proxy(client_ip):
        client = client_at(app, "127.0.0.1")  # the proxy
        client.environ_base["HTTP_X_FORWARDED_FOR"] = client_ip
        return client

    codes = [
        sign_in(via_proxy("203.0.113.9"), f"+9945010000{i:02d}", "bad-pw-1").status_code
        for i in range(3)
    ]
    assert codes == [400, 400, 429]
    # Another person behind the same proxy is not affected.
    assert sign_in(via_proxy("198.51.100.4"), "+994501000099", "bad-pw-1").status_code == 400
    user = factory.user(Role.RETURNEE)
    assert sign_in(via_proxy("198.51.100.4"), user.login).status_code == 302


def test_the_account_page_password_check_has_the_same_limits(app_factory, factory):
    app = limited(app_factory, ACCOUNT_FAILURE_LIMIT="2 per minute")
    user = factory.user(Role.RETURNEE)
    client = client_at(app, "10.0.0.1")
    assert sign_in(client, user.login).status_code == 302
    data = {"action": "password", "password": "a-new-long-secret", "confirm": "a-new-long-secret"}
    codes = [
        post_form(client, "/en/account", current_password="wrong-pw-1", **data).status_code
        for _ in range(2)
    ]
    assert codes == [400, 400]
    response = post_form(client, "/en/account", current_password=PASSWORD, **data)
    assert response.status_code == 429
    assert "paused" in response.get_data(as_text=True)
    # The same account is paused on the sign-in page too.
    assert sign_in(client_at(app, "10.0.0.2"), user.login).status_code == 429


def test_a_successful_sign_in_clears_the_account_counter(app_factory, factory):
    app = limited(app_factory, ACCOUNT_FAILURE_LIMIT="3 per minute")
    user = factory.user(Role.RETURNEE)
    client = client_at(app, "10.0.0.1")
    for _ in range(2):
        assert sign_in(client, user.login, "wrong-pw-1").status_code == 400
    assert sign_in(client, user.login).status_code == 302
    for _ in range(2):
        assert sign_in(client_at(app, "10.0.0.1"), user.login, "wrong-pw-1").status_code == 400
    assert sign_in(client_at(app, "10.0.0.1"), user.login).status_code == 302


def test_wrong_codes_count_against_the_address(app_factory, factory, db):
    app = limited(app_factory, ADDRESS_FAILURE_LIMIT="2 per minute", **SMS)
    user = factory.user(Role.RETURNEE, phone="+994501234567")
    client = client_at(app, "10.0.0.1")
    post_form(client, "/en/forgot-password", login=user.phone)
    code = last_code(db, user.phone)
    wrong = "000000" if code != "000000" else "111111"
    assert post_form(client, "/en/reset/code", code=wrong).status_code == 400
    assert post_form(client, "/en/reset/code", code=wrong).status_code == 400
    response = post_form(client, "/en/reset/code", code=code)
    assert response.status_code == 429


@pytest.fixture
def redis_db():
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    yield REDIS_URL
    store.flushdb()
    store.close()


def test_limits_are_shared_through_redis(app_factory, factory, redis_db):
    """Two app processes (gunicorn workers) see the same counters in Redis."""
    one = limited(app_factory, RATELIMIT_STORAGE_URI=redis_db, ACCOUNT_FAILURE_LIMIT="2 per hour")
    two = limited(app_factory, RATELIMIT_STORAGE_URI=redis_db, ACCOUNT_FAILURE_LIMIT="2 per hour")
    user = factory.user(Role.RETURNEE)
    assert sign_in(client_at(one, "10.0.0.1"), user.login, "wrong-pw-1").status_code == 400
    assert sign_in(client_at(two, "10.0.0.2"), user.login, "wrong-pw-1").status_code == 400
    assert sign_in(client_at(one, "10.0.0.3"), user.login).status_code == 429
    assert sign_in(client_at(two, "10.0.0.3"), user.login).status_code == 429
    assert redis.Redis.from_url(redis_db).dbsize() > 0
    # The partner API limit (Flask-Limiter) uses the same store and works too.
    assert two.test_client().get("/api/v1/referrals").status_code == 401


def test_the_pause_grows_with_each_failure_in_a_row(app):
    """Default delays: five failures free, then 30 s doubling with each failure, at most 1 h."""
    limits = app.extensions["auth_limits"]
    pauses = [limits.pause_after(n) for n in range(1, 15)]
    assert pauses == [0] * 5 + [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_failures_past_the_free_ones_pause_the_account_longer_each_time(app_factory, factory):
    """Real time, short delays: after two free failures the pause is 2 s, then 4 s (the cap),
    and the right password is refused during a pause but accepted after it, ending the run."""
    app = limited(
        app_factory,
        ACCOUNT_FAILURE_LIMIT="1000 per minute",
        ACCOUNT_DELAY_AFTER=2,
        ACCOUNT_DELAY_SECONDS=2,
        ACCOUNT_DELAY_MAX_SECONDS=4,
    )
    limits = app.extensions["auth_limits"]
    user = factory.user(Role.RETURNEE)
    other = factory.user(Role.RETURNEE)
    key = f"user:{user.id}"
    client = client_at(app, "10.0.0.1")
    assert [sign_in(client, user.login, "wrong-pw-1").status_code for _ in range(2)] == [400] * 2
    assert limits.paused_for(key) == 0
    assert sign_in(client, user.login, "wrong-pw-1").status_code == 400  # the third: paused
    assert 0 < limits.paused_for(key) <= 2
    response = sign_in(client, user.login)
    assert response.status_code == 429
    assert "signing in to it is paused for 1 minute." in response.get_data(as_text=True)
    assert sign_in(client_at(app, "10.0.0.1"), other.login).status_code == 302  # others sign in
    time.sleep(2.1)
    assert sign_in(client, user.login, "wrong-pw-1").status_code == 400  # the fourth: doubled
    assert 2 < limits.paused_for(key) <= 4
    assert sign_in(client, user.login).status_code == 429
    time.sleep(4.1)
    assert sign_in(client, user.login, "wrong-pw-1").status_code == 400  # the fifth: the cap
    assert 2 < limits.paused_for(key) <= 4
    time.sleep(4.1)
    assert sign_in(client, user.login).status_code == 302  # after the pause: signed in
    assert limits.paused_for(key) == 0
    # A success ends the run: two failures are free again.
    again = client_at(app, "10.0.0.1")
    assert [sign_in(again, user.login, "wrong-pw-1").status_code for _ in range(2)] == [400] * 2
    assert limits.paused_for(key) == 0


def test_the_growing_pause_is_shared_through_redis(app_factory, factory, redis_db):
    settings = {
        "RATELIMIT_STORAGE_URI": redis_db,
        "ACCOUNT_FAILURE_LIMIT": "1000 per minute",
        "ACCOUNT_DELAY_AFTER": 1,
        "ACCOUNT_DELAY_SECONDS": 60,
    }
    one, two = limited(app_factory, **settings), limited(app_factory, **settings)
    user = factory.user(Role.RETURNEE)
    assert sign_in(client_at(one, "10.0.0.1"), user.login, "wrong-pw-1").status_code == 400
    assert sign_in(client_at(two, "10.0.0.2"), user.login, "wrong-pw-1").status_code == 400
    response = sign_in(client_at(one, "10.0.0.3"), user.login, lang="ru")
    assert response.status_code == 429
    assert "вход в неё приостановлен на 1 минуту" in response.get_data(as_text=True)
    assert 55 < one.extensions["auth_limits"].paused_for(f"user:{user.id}") <= 60


def test_one_person_behind_the_proxy_cannot_lock_the_office_out(app_factory, factory):
    """The probe's finding: behind the README's proxy every sign-in came from the proxy's
    address, so ten ordinary sign-ins in a minute locked everyone out. Default limits, one
    trusted proxy: an office of 25 behind one address signs in (after a typo each), and an
    attacker's 40 failures from elsewhere refuse only the attacker's address."""
    app = limited(app_factory, TRUSTED_PROXY_COUNT=1)

    def via_proxy(client_ip):
        client = client_at(app, "127.0.0.1")  # every request reaches the app from the proxy
        client.environ_base["HTTP_X_FORWARDED_FOR"] = client_ip
        return client

    attacker = via_proxy("203.0.113.66")
    codes = [sign_in(attacker, f"+9945020000{i:02d}", "guess-pw-1").status_code for i in range(40)]
    assert codes == [400] * 30 + [429] * 10
    office = [factory.user(Role.SOCIAL_WORKER) for _ in range(25)]
    for person in office:
        assert sign_in(via_proxy("198.51.100.7"), person.login, "typo-pw-1").status_code == 400
    for person in office:
        assert sign_in(via_proxy("198.51.100.7"), person.login).status_code == 302
