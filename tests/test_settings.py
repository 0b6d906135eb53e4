"""Deployment settings, HTTP headers, the language switcher and a URL walk.

Requirements: security checklist section A (items 1, 3, 4, 7, 8) and B 18.
Settings are checked in a subprocess with a production-like environment, since
the test run itself uses test-only values (pyproject.toml, pytest-env).
"""

import json
import os
import re
import secrets
import subprocess
import sys
import tomllib

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests import evidence_samples
from tests.evidence_samples import attach, use_evidence_storage
from tests.factories import FilingFactory
from tests.letter_factories import stored_letter

BASE_DIR = settings.BASE_DIR
LOGIN_URL = reverse("accounts:login")
SETLANG_URL = reverse("set_language")

# ---------------------------------------------------------------------------
# Settings, in a subprocess
# ---------------------------------------------------------------------------

# A developer's .env is read by settings.py and would leak into the subprocess.
needs_no_dotenv = pytest.mark.skipif(
    (BASE_DIR / ".env").exists(),
    reason="a local .env file would override the environment under test",
)


def _test_only_vars():
    """The variables pytest-env sets for the test run (pyproject.toml)."""
    with open(BASE_DIR / "pyproject.toml", "rb") as f:
        entries = tomllib.load(f)["tool"]["pytest"]["ini_options"]["env"]
    return {entry.split(":", 1)[-1].split("=", 1)[0] for entry in entries}


def clean_env(**values):
    """os.environ without test-only or project settings, plus `values`."""
    drop = _test_only_vars() | {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in drop and not key.startswith(("DJANGO_", "AXES_", "PYTEST_"))
    }
    env.update(values)
    return env


def run_python(args, env, timeout=120):
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def production_env(tmp_path, **overrides):
    values = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "example.org",
        "DJANGO_SECURE": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
    }
    values.update(overrides)
    return clean_env(**{k: v for k, v in values.items() if v is not None})


PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY_SET": bool(settings.SECRET_KEY),
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_NAME": settings.SESSION_COOKIE_NAME,
    "CSRF_COOKIE_NAME": settings.CSRF_COOKIE_NAME,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "PASSWORD_HASHER": settings.PASSWORD_HASHERS[0],
}))
"""


def print_settings(env):
    env = {**env, "DJANGO_SETTINGS_MODULE": "casetracker.settings"}
    return run_python(["-c", PRINT_SETTINGS], env)


@needs_no_dotenv
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"DJANGO_DEBUG": "0"},
        # HTTPS is on by default outside DEBUG.
        {"DJANGO_SECURE": None},
    ],
    ids=["debug-unset", "debug-0", "secure-unset"],
)
def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path, overrides):
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path, **overrides),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@needs_no_dotenv
def test_check_deploy_does_fail_on_warnings_without_https(tmp_path):
    """Control for the test above: the check really runs at WARNING level."""
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path, DJANGO_SECURE="0"),
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


@needs_no_dotenv
@pytest.mark.parametrize("debug", [None, "0", "false"])
def test_settings_refuse_to_load_without_secret_key_when_debug_is_off(debug):
    env = clean_env() if debug is None else clean_env(DJANGO_DEBUG=debug)

    result = print_settings(env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@needs_no_dotenv
def test_settings_load_without_secret_key_when_debug_is_on():
    result = print_settings(clean_env(DJANGO_DEBUG="1"))

    assert result.returncode == 0, result.stderr
    assert '"DEBUG": true' in result.stdout
    assert '"SECRET_KEY_SET": true' in result.stdout


@needs_no_dotenv
def test_missing_variables_default_to_safe_values():
    result = print_settings(clean_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(64)))

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["PASSWORD_HASHER"].endswith("Argon2PasswordHasher")


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------

ANONYMOUS_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password-reset/",
    "/accounts/password-reset/sent/",
    "/accounts/reset/done/",
    "/no-such-page/",
    "/admin/login/",
]


def parse_csp(header):
    policy = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        policy[name] = sources
    return policy


def assert_security_headers(response):
    csp = response.headers.get("Content-Security-Policy")
    assert csp, f"no CSP on {response.request['PATH_INFO']}"
    policy = parse_csp(csp)
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def cache_control(response):
    header = response.headers.get("Cache-Control", "")
    return {part.strip().split("=")[0] for part in header.split(",") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_anonymous_pages_carry_csp_nosniff_and_referrer_policy(client, path):
    response = client.get(path)

    assert response.status_code in (200, 404)
    assert_security_headers(response)


@pytest.mark.django_db
def test_html_pages_carry_cross_origin_opener_policy(client):
    response = client.get("/")

    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.fixture
def owner_pages(complaint):
    return [
        "/",
        reverse("complaints:list"),
        reverse("complaints:create"),
        reverse("complaints:detail", args=[complaint.public_id]),
        reverse("complaints:edit", args=[complaint.public_id]),
        "/no-such-page/",
        reverse("accounts:password_reset"),
    ]


def test_pages_for_a_logged_in_user_are_private_and_not_stored(
    owner_client, owner_pages
):
    for path in owner_pages:
        response = owner_client.get(path)

        assert response.status_code in (200, 404), path
        assert {"no-store", "private"} <= cache_control(response), path
        assert_security_headers(response)


def test_responses_right_after_login_are_not_stored(client, user):
    response = client.post(
        LOGIN_URL, {"username": user.phone, "password": "correct-horse-battery"}
    )

    assert response.status_code == 302
    assert {"no-store", "private"} <= cache_control(response)


# ---------------------------------------------------------------------------
# Language switcher
# ---------------------------------------------------------------------------

SWITCHER_RE = re.compile(
    r'<form[^>]*action="' + re.escape(SETLANG_URL) + r'"[^>]*method="post"'
)
HTML_LANG_RE = re.compile(r'<html lang="([^"]+)">')


def html_lang(response):
    match = HTML_LANG_RE.search(response.content.decode())
    assert match, "no <html lang> attribute"
    return match.group(1)


def assert_has_language_switcher(response):
    body = response.content.decode()
    assert SWITCHER_RE.search(body), response.request["PATH_INFO"]
    for code, _name in settings.LANGUAGES:
        assert f'name="language" value="{code}"' in body


@pytest.mark.django_db
def test_default_language_is_simplified_chinese(client):
    assert html_lang(client.get("/")) == "zh-hans"


@pytest.mark.django_db
def test_switching_to_english_changes_the_page_language(client):
    response = client.post(SETLANG_URL, {"language": "en", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert html_lang(client.get("/accounts/login/")) == "en"
    assert html_lang(client.get("/")) == "en"

    client.post(SETLANG_URL, {"language": "zh-hans", "next": "/"})
    assert html_lang(client.get("/")) == "zh-hans"


def test_switching_to_english_works_for_a_logged_in_user(owner_client):
    owner_client.post(SETLANG_URL, {"language": "en", "next": "/cases/"})

    response = owner_client.get("/cases/")

    assert response.status_code == 200
    assert html_lang(response) == "en"


# ---------------------------------------------------------------------------
# URL walk: every non-admin URL pattern
# ---------------------------------------------------------------------------


def walk_patterns(patterns, prefix="", namespace=None):
    """(qualified name, route, converter names) for each non-admin pattern."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            ns = ":".join(n for n in (namespace, pattern.namespace) if n) or None
            yield from walk_patterns(
                pattern.url_patterns, prefix + str(pattern.pattern), ns
            )
        else:
            name = pattern.name
            if name and namespace:
                name = f"{namespace}:{name}"
            yield (
                name,
                prefix + str(pattern.pattern),
                sorted(pattern.pattern.converters),
            )


URL_PATTERNS = list(walk_patterns(get_resolver().url_patterns))

# Anonymous GET: what each page answers. Any new view must be added here, so
# a view that forgets its login check cannot slip in unnoticed.
PUBLIC = {
    "home": 200,
    "favicon": 301,  # to the static icon
    "accounts:signup": 200,
    "accounts:login": 200,
    "accounts:logout": 405,  # POST only
    "accounts:password_reset": 200,
    "accounts:password_reset_done": 200,
    # A valid link stores the token in the session and redirects to the form.
    "accounts:password_reset_confirm": 302,
    "accounts:password_reset_complete": 200,
    "set_language": 302,  # GET changes nothing; it just sends the user back
}
# Logged-in pages, with what a GET by the owner of a draft case (with an
# image attached) answers.
OWNER_GET = {
    "complaints:list": 200,
    "complaints:create": 200,
    "complaints:detail": 200,
    "complaints:edit": 200,
    "complaints:submit": 405,  # POST only
    "complaints:withdraw": 200,  # the confirmation page
    "complaints:message": 405,  # POST only
    "complaints:evidence_upload": 200,
    "complaints:evidence_upload_one": 405,  # POST only (the page's script)
    "complaints:evidence_download": 200,
    "complaints:evidence_thumbnail": 200,
    "complaints:evidence_edit": 200,
    "complaints:evidence_delete": 200,  # the confirmation page
    "complaints:letter_preview": 200,
    "complaints:letter_draft_pdf": 200,  # a draft case: the watermarked PDF
    "complaints:letter_issue": 405,  # POST only
    "complaints:letter_download": 200,
    # A draft case: filings are recorded once it is submitted (a redirect).
    "complaints:filing_create": 302,
    "complaints:filing_reply": 302,
}
LOGIN_REQUIRED = set(OWNER_GET)
# Staff pages outside the admin site's own URLs, behind `admin.site.admin_view`:
# whoever is not staff (anonymous or an owner) is sent to the admin login.
ADMIN_PAGES = {"admin_dashboard"}
# Stored files, not pages: served with a sandboxing CSP of their own.
FILE_RESPONSES = {
    "complaints:evidence_download": "attachment",
    "complaints:evidence_thumbnail": "inline",
    "complaints:letter_draft_pdf": "attachment",
    "complaints:letter_download": "attachment",
}


def test_every_url_pattern_is_named_and_classified():
    names = [name for name, _route, _conv in URL_PATTERNS]

    assert None not in names, URL_PATTERNS
    assert set(names) == set(PUBLIC) | LOGIN_REQUIRED | ADMIN_PAGES
    assert not set(PUBLIC) & LOGIN_REQUIRED
    assert not (set(PUBLIC) | LOGIN_REQUIRED) & ADMIN_PAGES
    assert set(FILE_RESPONSES) <= LOGIN_REQUIRED


@pytest.fixture
def url_kwargs(settings, tmp_path, complaint, user):
    """Real values for every URL converter in the project."""
    use_evidence_storage(settings, tmp_path / "evidence")
    evidence = attach(complaint, evidence_samples.jpeg(), "停机通知.jpg")
    letter = stored_letter(complaint, user)
    filing = FilingFactory(complaint=complaint)
    return {
        "filing_id": filing.public_id,
        "public_id": complaint.public_id,
        "evidence_id": evidence.public_id,
        "channel": letter.channel.code,
        "letter_id": letter.public_id,
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


def assert_file_security_headers(response, disposition):
    """A stored file: never sniffed, never run, never cached."""
    policy = parse_csp(response.headers["Content-Security-Policy"])
    assert "sandbox" in policy
    assert policy["default-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Content-Disposition"].split(";")[0] == disposition


def url_for(name, converters, url_kwargs):
    return reverse(name, kwargs={key: url_kwargs[key] for key in converters})


@pytest.mark.parametrize(
    ("name", "converters"),
    [(name, conv) for name, _route, conv in URL_PATTERNS],
    ids=[name or route for name, route, _conv in URL_PATTERNS],
)
def test_anonymous_get_on_every_url(client, url_kwargs, name, converters):
    url = url_for(name, converters, url_kwargs)

    response = client.get(url)

    assert response.status_code < 500
    assert_security_headers(response)
    if name in LOGIN_REQUIRED:
        assert response.status_code == 302
        assert response.url == f"{LOGIN_URL}?next={url}"
    elif name in ADMIN_PAGES:
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    else:
        assert response.status_code == PUBLIC[name]
        if response.status_code == 302:
            assert not response.url.startswith(LOGIN_URL)
        if response.status_code == 200:
            assert_has_language_switcher(response)


@pytest.mark.parametrize(
    ("name", "converters"),
    [(name, conv) for name, _route, conv in URL_PATTERNS],
    ids=[name or route for name, route, _conv in URL_PATTERNS],
)
def test_owner_get_on_every_url(owner_client, url_kwargs, name, converters):
    url = url_for(name, converters, url_kwargs)

    response = owner_client.get(url)

    assert response.status_code < 500
    assert {"no-store", "private"} <= cache_control(response)
    if name in LOGIN_REQUIRED:
        assert response.status_code == OWNER_GET[name]
    if name in ADMIN_PAGES:
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    if name in FILE_RESPONSES:
        assert_file_security_headers(response, FILE_RESPONSES[name])
        return
    assert_security_headers(response)
    if response.status_code == 302:
        assert not response.url.startswith(LOGIN_URL)
    if response.status_code == 200:
        assert_has_language_switcher(response)
