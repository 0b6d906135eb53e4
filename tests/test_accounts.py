"""Accounts: sign-up, login, logout, password reset, lockout and hashing.

Requirements: security checklist section B (items 9-13) and the account
stories of the brief. Every login goes through the real view and the test
client, so django-axes sees the request exactly as in production.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.forms.forms import NON_FIELD_ERRORS
from django.urls import reverse
from django.utils.html import escape
from freezegun import freeze_time

from accounts.models import User
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # what UserFactory sets
NEW_PASSWORD = "Tide-pool-lantern-42"

SIGNUP_URL = reverse("accounts:signup")
LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")
RESET_URL = reverse("accounts:password_reset")
RESET_SENT_URL = reverse("accounts:password_reset_done")
LIST_URL = reverse("complaints:list")

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
RESET_LINK_RE = re.compile(r"https?://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")


def signup_data(identifier, password=NEW_PASSWORD, password2=None, **extra):
    return {
        "identifier": identifier,
        "password1": password,
        "password2": password if password2 is None else password2,
        **extra,
    }


def login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


def form_of(response):
    return response.context["form"]


@pytest.fixture
def phone_user(db):
    return UserFactory(phone="13912345678", username="13912345678")


@pytest.fixture
def email_user(db):
    return UserFactory(
        phone=None, username="alice@example.org", email="alice@example.org"
    )


# ---------------------------------------------------------------------------
# Sign-up
# ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        "13912345678",
        " 13912345678 ",
        "139 1234 5678",
        "139-1234-5678",
        "+86 139 1234 5678",
        "+86-139-1234-5678",
        "0086 13912345678",
        "8613912345678",
        "１３９１２３４５６７８",  # full-width digits
        "＋８６ １３９－１２３４－５６７８",  # full-width plus, digits and dashes
    ],
)
def test_signup_with_mobile_number_stores_the_11_digit_form(client, typed):
    response = client.post(SIGNUP_URL, signup_data(typed))

    assert response.status_code == 302, form_of(response).errors
    user = User.objects.get()
    assert user.phone == "13912345678"
    assert user.username == "13912345678"
    assert user.email == ""


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_signup_accepts_every_mobile_prefix_13_to_19(client, prefix):
    number = f"{prefix}012345678"

    response = client.post(SIGNUP_URL, signup_data(number))

    assert response.status_code == 302
    assert User.objects.get().phone == number


@pytest.mark.django_db
def test_signup_with_email_lower_cases_it(client):
    response = client.post(SIGNUP_URL, signup_data("  Alice.Smith@Example.ORG "))

    assert response.status_code == 302, form_of(response).errors
    user = User.objects.get()
    assert user.email == "alice.smith@example.org"
    assert user.username == "alice.smith@example.org"
    assert user.phone is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("12345678901", "invalid_identifier"),  # 11 digits, but not 1[3-9]
        ("1234", "invalid_identifier"),
        ("1391234567", "invalid_identifier"),  # 10 digits
        ("139123456789", "invalid_identifier"),  # 12 digits
        ("+1 139 1234 5678", "invalid_identifier"),  # not a Chinese prefix
        ("foo@", "invalid_email"),
        ("@example.org", "invalid_email"),
        ("", "required"),
    ],
)
def test_signup_with_bad_identifier_explains_and_keeps_the_input(client, typed, code):
    response = client.post(SIGNUP_URL, signup_data(typed))

    assert response.status_code == 200
    form = form_of(response)
    assert form.has_error("identifier", code)
    body = response.content.decode()
    for message in form.errors["identifier"]:
        assert escape(message) in body
    if typed:
        assert f'value="{escape(typed)}"' in body
    assert not User.objects.exists()
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize(
    "typed",
    [
        "13912345678",
        "+86 139-1234-5678",
        "１３９１２３４５６７８",
        "0086 139 1234 5678",
    ],
)
def test_signup_refuses_a_registered_mobile_number_however_typed(
    client, phone_user, typed
):
    response = client.post(SIGNUP_URL, signup_data(typed))

    assert response.status_code == 200
    form = form_of(response)
    assert form.has_error("identifier", "taken")
    assert escape(form.errors["identifier"][0]) in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "typed", ["alice@example.org", "ALICE@EXAMPLE.ORG", " Alice@Example.org "]
)
def test_signup_refuses_a_registered_email_case_insensitively(
    client, email_user, typed
):
    response = client.post(SIGNUP_URL, signup_data(typed))

    assert response.status_code == 200
    assert form_of(response).has_error("identifier", "taken")
    assert User.objects.count() == 1


def test_signup_refuses_an_email_already_used_as_someone_elses_recovery_email(
    client, db
):
    UserFactory(phone="13800000001", username="13800000001", email="bob@example.org")

    response = client.post(SIGNUP_URL, signup_data("Bob@Example.org"))

    assert response.status_code == 200
    assert form_of(response).has_error("identifier", "taken")
    assert User.objects.count() == 1


def test_signup_refuses_a_recovery_email_that_is_already_registered(client, email_user):
    response = client.post(
        SIGNUP_URL,
        signup_data("13700000000", recovery_email="ALICE@example.org"),
    )

    assert response.status_code == 200
    assert form_of(response).has_error("recovery_email", "taken")
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("identifier", "password", "code"),
    [
        ("13912345678", "Ab3$xy", "password_too_short"),
        ("13912345678", "password", "password_too_common"),
        ("13912345678", "12345678", "password_too_common"),
        ("13912345678", "83920571946", "password_entirely_numeric"),
        ("13912345678", "13912345678x", "password_too_similar"),
        ("13912345678", "x13912345678", "password_too_similar"),
        ("xiaoming.wang@example.org", "xiaomingwang", "password_too_similar"),
    ],
)
def test_signup_applies_django_password_validators(client, identifier, password, code):
    response = client.post(SIGNUP_URL, signup_data(identifier, password))

    assert response.status_code == 200
    form = form_of(response)
    assert form.has_error("password1", code), form.errors
    assert escape(form.errors["password1"][0]) in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_password_too_similar_to_the_recovery_email(client):
    response = client.post(
        SIGNUP_URL,
        signup_data(
            "13912345678",
            "xiaomingwang",
            recovery_email="xiaoming.wang@example.org",
        ),
    )

    assert form_of(response).has_error("password1", "password_too_similar")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_passwords_must_match(client):
    response = client.post(
        SIGNUP_URL, signup_data("13912345678", NEW_PASSWORD, NEW_PASSWORD + "x")
    )

    assert response.status_code == 200
    form = form_of(response)
    assert "password2" in form.errors
    assert escape(form.errors["password2"][0]) in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_never_echoes_the_password(client):
    response = client.post(SIGNUP_URL, signup_data("1234", "S3cret-unique-value"))

    assert "S3cret-unique-value" not in response.content.decode()


@pytest.mark.django_db
def test_signup_logs_the_new_user_in_and_redirects_to_the_complaints_list(client):
    response = client.post(SIGNUP_URL, signup_data("13912345678"), follow=True)

    user = User.objects.get()
    assert response.redirect_chain == [(LIST_URL, 302)]
    assert response.status_code == 200
    assert logged_in_user_id(client) == str(user.pk)
    assert response.wsgi_request.user == user


@pytest.mark.django_db
def test_signup_with_phone_accepts_an_optional_recovery_email(client):
    response = client.post(
        SIGNUP_URL,
        signup_data("139 1234 5678", recovery_email=" Wang.Li@Example.COM "),
    )

    assert response.status_code == 302, form_of(response).errors
    user = User.objects.get()
    assert user.phone == "13912345678"
    assert user.email == "wang.li@example.com"


@pytest.mark.django_db
def test_signup_with_phone_without_recovery_email_leaves_email_blank(client):
    client.post(SIGNUP_URL, signup_data("13912345678", recovery_email=""))
    client.post(LOGOUT_URL)
    client.post(SIGNUP_URL, signup_data("13812345678", recovery_email=""))

    # Two blank emails do not collide with the case-insensitive unique index.
    assert list(User.objects.values_list("email", flat=True)) == ["", ""]


@pytest.mark.django_db
def test_signup_with_bad_recovery_email_is_refused(client):
    response = client.post(
        SIGNUP_URL, signup_data("13912345678", recovery_email="not-an-email")
    )

    assert form_of(response).has_error("recovery_email", "invalid")
    assert not User.objects.exists()


def test_signup_page_redirects_a_logged_in_user(owner_client):
    assert owner_client.get(SIGNUP_URL).url == LIST_URL


# ---------------------------------------------------------------------------
# Password hashing
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_users_password_is_hashed_with_argon2id(client):
    client.post(SIGNUP_URL, signup_data("13912345678"))

    user = User.objects.get()
    assert user.password.startswith("argon2$argon2id$")
    assert NEW_PASSWORD not in user.password
    assert user.check_password(NEW_PASSWORD)


def test_factory_users_are_hashed_with_argon2id_too(user):
    assert user.password.startswith("argon2$argon2id$")


# ---------------------------------------------------------------------------
# Login and logout
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13912345678",
        "139 1234 5678",
        "139-1234-5678",
        "+86 139 1234 5678",
        "+8613912345678",
        "0086-139-1234-5678",
        "１３９１２３４５６７８",
    ],
)
def test_login_with_mobile_number_in_any_accepted_spelling(client, phone_user, typed):
    response = login(client, typed)

    assert response.status_code == 302
    assert response.url == LIST_URL
    assert logged_in_user_id(client) == str(phone_user.pk)


@pytest.mark.parametrize(
    "typed", ["alice@example.org", "Alice@Example.ORG", " alice@example.org "]
)
def test_login_with_email_in_any_case(client, email_user, typed):
    response = login(client, typed)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(email_user.pk)


def test_login_with_recovery_email_of_a_phone_user(client, db):
    user = UserFactory(
        phone="13912345678", username="13912345678", email="wang@example.org"
    )

    response = login(client, "WANG@example.org")

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_login_changes_the_session_key(client, phone_user):
    client.get(LOGIN_URL)
    client.session.save()
    before = client.session.session_key

    login(client, "13912345678")

    assert client.session.session_key != before


def test_login_follows_next(client, phone_user):
    response = client.post(
        f"{LOGIN_URL}?next=/cases/new/",
        {"username": "13912345678", "password": PASSWORD, "next": "/cases/new/"},
    )

    assert response.url == "/cases/new/"


def test_login_ignores_an_offsite_next(client, phone_user):
    response = client.post(
        LOGIN_URL,
        {
            "username": "13912345678",
            "password": PASSWORD,
            "next": "https://evil.example.com/",
        },
    )

    assert response.url == LIST_URL


def test_login_with_wrong_password_gives_the_generic_message(client, phone_user):
    response = login(client, "13912345678", "wrong-password")

    assert response.status_code == 200
    form = form_of(response)
    assert form.has_error(NON_FIELD_ERRORS, "invalid_login")
    assert escape(form.non_field_errors()[0]) in response.content.decode()
    assert logged_in_user_id(client) is None


def _normalised_body(response, typed):
    body = response.content.decode()
    body = CSRF_RE.sub('name="csrfmiddlewaretoken" value=""', body)
    return body.replace(escape(typed), "<typed>")


@pytest.mark.parametrize(
    ("known", "unknown"),
    [
        ("13912345678", "13712345678"),
        ("alice@example.org", "alice@example.net"),
    ],
)
def test_login_failure_looks_the_same_for_unknown_and_known_accounts(
    client, phone_user, email_user, known, unknown
):
    known_response = login(client, known, "wrong-password")
    unknown_response = login(client, unknown, "wrong-password")

    assert known_response.status_code == unknown_response.status_code == 200
    assert form_of(known_response).errors == form_of(unknown_response).errors
    assert _normalised_body(known_response, known) == _normalised_body(
        unknown_response, unknown
    )


def test_login_of_an_inactive_account_gives_the_generic_message(client, db):
    UserFactory(phone="13912345678", username="13912345678", is_active=False)

    response = login(client, "13912345678")

    assert form_of(response).has_error(NON_FIELD_ERRORS, "invalid_login")
    assert logged_in_user_id(client) is None


def test_logout_by_get_is_refused(owner_client, user):
    response = owner_client.get(LOGOUT_URL)

    assert response.status_code == 405
    assert logged_in_user_id(owner_client) == str(user.pk)


def test_logout_by_post_ends_the_session_server_side(client, phone_user, settings):
    login(client, "13912345678")
    session_key = client.session.session_key
    assert Session.objects.filter(session_key=session_key).exists()

    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert logged_in_user_id(client) is None
    assert not Session.objects.filter(session_key=session_key).exists()

    # Replaying the old session cookie no longer opens the case list.
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    replay = client.get(LIST_URL)
    assert replay.status_code == 302
    assert replay.url.startswith(LOGIN_URL)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/cases/", "/cases/new/"])
def test_anonymous_access_redirects_to_login_with_next(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={path}"


# ---------------------------------------------------------------------------
# Password reset by email
# ---------------------------------------------------------------------------


def _reset_link(message):
    match = RESET_LINK_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def _reset_password(client, link, password=NEW_PASSWORD):
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    set_password_url = form_page.redirect_chain[-1][0]
    return client.post(
        set_password_url,
        {"new_password1": password, "new_password2": password},
    )


@pytest.mark.parametrize("typed", ["alice@example.org", "ALICE@Example.org"])
def test_password_reset_email_link_sets_a_new_password(client, email_user, typed):
    response = client.post(RESET_URL, {"email": typed})

    assert response.status_code == 302
    assert response.url == RESET_SENT_URL
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]

    done = _reset_password(client, _reset_link(message))

    assert done.status_code == 302
    assert done.url == reverse("accounts:password_reset_complete")
    email_user.refresh_from_db()
    assert email_user.check_password(NEW_PASSWORD)
    assert login(client, "alice@example.org", PASSWORD).status_code == 200
    assert login(client, "alice@example.org", NEW_PASSWORD).status_code == 302
    assert logged_in_user_id(client) == str(email_user.pk)


def test_password_reset_works_for_a_phone_user_with_recovery_email(client, db):
    user = UserFactory(
        phone="13912345678", username="13912345678", email="wang@example.org"
    )

    client.post(RESET_URL, {"email": "wang@example.org"})
    _reset_password(client, _reset_link(mail.outbox[0]))

    assert login(client, "+86 139 1234 5678", NEW_PASSWORD).status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_password_reset_link_works_only_once(client, email_user):
    client.post(RESET_URL, {"email": "alice@example.org"})
    link = _reset_link(mail.outbox[0])
    _reset_password(client, link)

    again = client.get(link, follow=True)

    assert again.status_code == 200
    assert not again.context["validlink"]


def test_password_reset_applies_the_password_validators(client, email_user):
    client.post(RESET_URL, {"email": "alice@example.org"})

    response = _reset_password(client, _reset_link(mail.outbox[0]), "password")

    assert response.status_code == 200
    assert form_of(response).has_error("new_password2", "password_too_common")
    email_user.refresh_from_db()
    assert email_user.check_password(PASSWORD)


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client, email_user
):
    known = client.post(RESET_URL, {"email": "alice@example.org"}, follow=True)
    mail.outbox.clear()
    unknown = client.post(RESET_URL, {"email": "nobody@example.org"}, follow=True)

    assert mail.outbox == []
    assert unknown.redirect_chain == known.redirect_chain == [(RESET_SENT_URL, 302)]
    assert unknown.status_code == known.status_code == 200
    assert CSRF_RE.sub("", unknown.content.decode()) == CSRF_RE.sub(
        "", known.content.decode()
    )


def test_password_reset_for_a_phone_only_account_sends_nothing(client, phone_user):
    response = client.post(RESET_URL, {"email": "13912345678@example.org"})

    assert response.url == RESET_SENT_URL
    assert mail.outbox == []


# ---------------------------------------------------------------------------
# Login rate limiting (django-axes)
# ---------------------------------------------------------------------------

FAILURE_LIMIT = 5


def _assert_locked_out(response):
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_settings_lock_after_five_failures_by_username_and_by_username_and_ip(
    settings,
):
    assert settings.AXES_FAILURE_LIMIT == FAILURE_LIMIT
    assert ["username", "ip_address"] in settings.AXES_LOCKOUT_PARAMETERS
    assert "username" in settings.AXES_LOCKOUT_PARAMETERS


def test_sixth_login_with_the_right_password_is_refused_after_five_failures(
    client, phone_user
):
    for _attempt in range(FAILURE_LIMIT - 1):
        response = login(client, "13912345678", "wrong-password")
        assert response.status_code == 200
        assert form_of(response).has_error(NON_FIELD_ERRORS, "invalid_login")
    # The fifth failure reaches the limit and already shows the lockout page.
    _assert_locked_out(login(client, "13912345678", "wrong-password"))

    sixth = login(client, "13912345678", PASSWORD)

    _assert_locked_out(sixth)
    assert logged_in_user_id(client) is None


def test_four_failures_do_not_lock_the_account(client, phone_user):
    for _attempt in range(FAILURE_LIMIT - 1):
        login(client, "13912345678", "wrong-password")

    response = login(client, "13912345678", PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(phone_user.pk)


def test_different_spellings_of_a_phone_count_as_one_account(client, phone_user):
    spellings = [
        "13912345678",
        "+86 139 1234 5678",
        "139-1234-5678",
        "１３９１２３４５６７８",
        "0086 13912345678",
    ]
    for typed in spellings:
        login(client, typed, "wrong-password")

    sixth = login(client, "+86-139-1234-5678", PASSWORD)

    _assert_locked_out(sixth)
    assert logged_in_user_id(client) is None


def test_different_cases_of_an_email_count_as_one_account(client, email_user):
    for typed in ["alice@example.org", "ALICE@example.org", "Alice@Example.Org"] * 2:
        login(client, typed, "wrong-password")

    _assert_locked_out(login(client, "alice@EXAMPLE.org", PASSWORD))


def test_lockout_is_per_account_not_only_per_ip(client, phone_user):
    for n in range(FAILURE_LIMIT):
        login(client, "13912345678", "wrong-password", REMOTE_ADDR=f"10.0.0.{n + 1}")

    sixth = login(client, "13912345678", PASSWORD, REMOTE_ADDR="10.0.0.99")

    _assert_locked_out(sixth)


def test_lockout_of_one_account_does_not_block_another(client, phone_user, db):
    other = UserFactory(phone="13812345678", username="13812345678")
    for _attempt in range(FAILURE_LIMIT):
        login(client, "13912345678", "wrong-password")

    response = login(client, "13812345678", PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(other.pk)


def test_lockout_page_is_the_same_for_unknown_and_known_accounts(client, phone_user):
    for _attempt in range(FAILURE_LIMIT):
        login(client, "13912345678", "wrong-password")
        login(client, "13712345678", "wrong-password")

    known = login(client, "13912345678", "wrong-password")
    unknown = login(client, "13712345678", "wrong-password")

    _assert_locked_out(known)
    _assert_locked_out(unknown)
    assert _normalised_body(known, "13912345678") == _normalised_body(
        unknown, "13712345678"
    )


def test_login_works_again_after_the_cool_off(client, phone_user, settings):
    with freeze_time() as frozen:
        for _attempt in range(FAILURE_LIMIT):
            login(client, "13912345678", "wrong-password")
        _assert_locked_out(login(client, "13912345678", PASSWORD))

        frozen.tick(settings.AXES_COOLOFF_TIME * timedelta(hours=1))
        frozen.tick(timedelta(minutes=1))
        response = login(client, "13912345678", PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(phone_user.pk)


def test_password_reset_still_works_while_the_login_is_locked(client, email_user):
    for _attempt in range(FAILURE_LIMIT):
        login(client, "alice@example.org", "wrong-password")
    _assert_locked_out(login(client, "alice@example.org", PASSWORD))

    response = client.post(RESET_URL, {"email": "alice@example.org"})
    assert response.url == RESET_SENT_URL
    done = _reset_password(client, _reset_link(mail.outbox[0]))

    assert done.status_code == 302
    email_user.refresh_from_db()
    assert email_user.check_password(NEW_PASSWORD)


def test_login_with_the_new_password_works_after_a_reset_from_the_lockout_page(
    client, email_user
):
    """The lockout page offers "reset your password" as the way out.

    A reset proves the user controls the mailbox, so it must lift the lock;
    otherwise anyone can keep an account locked (OWASP: avoid lockout DoS).
    """
    for _attempt in range(FAILURE_LIMIT):
        login(client, "alice@example.org", "wrong-password")
    locked = login(client, "alice@example.org", PASSWORD)
    _assert_locked_out(locked)
    assert reverse("accounts:password_reset") in locked.content.decode()

    client.post(RESET_URL, {"email": "alice@example.org"})
    _reset_password(client, _reset_link(mail.outbox[0]))
    response = login(client, "alice@example.org", NEW_PASSWORD)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(email_user.pk)


def test_failures_through_phone_and_recovery_email_count_as_one_account(client, db):
    """Both identifiers open the same account, so they share one counter."""
    UserFactory(phone="13912345678", username="13912345678", email="wang@example.org")
    for typed in ["13912345678", "wang@example.org"] * 3:
        login(client, typed, "wrong-password")

    sixth = login(client, "13912345678", PASSWORD)

    _assert_locked_out(sixth)
    assert logged_in_user_id(client) is None
