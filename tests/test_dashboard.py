"""The reviewers' dashboard in admin (/admin/dashboard/)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Status
from complaints.selectors import dashboard
from tests.factories import (
    ComplaintFactory,
    InstitutionFactory,
    LossItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reviewer(db):
    """Staff in the Reviewers group (created by a migration)."""
    group, _created = Group.objects.get_or_create(name="Reviewers")
    group.permissions.add(
        Permission.objects.get(
            content_type__app_label="complaints", codename="view_complaint"
        )
    )
    user = UserFactory(is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def _case(losses=(), **kwargs):
    complaint = ComplaintFactory(**kwargs)
    for amount in losses:
        LossItemFactory(complaint=complaint, amount=Decimal(amount))
    return complaint


@pytest.fixture
def dataset(db):
    """Two owners (neither is the reviewer), two listed institutions, free-text
    respondents (one spelled like a listed institution, one empty), several
    provinces and statuses, recovered amounts, and a draft to ignore."""
    now = timezone.now()
    one, two = UserFactory(), UserFactory()
    jia = InstitutionFactory(name="甲支付有限公司")
    yi = InstitutionFactory(name="乙支付有限公司")
    cases = {
        "jia_submitted": _case(
            ("1000.00", "234.56"),
            owner=one,
            respondent_institution=jia,
            province="SH",
            status=Status.SUBMITTED,
            submitted_at=now - datetime.timedelta(days=30, hours=1),
        ),
        "jia_resolved": _case(
            ("5000.00",),
            owner=two,
            respondent_institution=jia,
            province="GD",
            status=Status.RESOLVED,
            amount_recovered=Decimal("1200.50"),
            submitted_at=now - datetime.timedelta(days=90),
        ),
        "yi_in_review": _case(
            ("100.10", "100.10", "100.10"),
            owner=one,
            respondent_institution=yi,
            province="GD",
            status=Status.IN_REVIEW,
            submitted_at=now - datetime.timedelta(days=10, hours=1),
        ),
        "bing_rejected": _case(
            ("50.00",),
            owner=two,
            respondent_institution=None,
            respondent_name=" 丙商务服务公司 ",
            province="BJ",
            status=Status.REJECTED,
            submitted_at=now - datetime.timedelta(days=60),
        ),
        "unknown_needs_info": _case(
            ("10.00",),
            owner=one,
            respondent_institution=None,
            respondent_name="",
            province="",
            status=Status.NEEDS_INFO,
            submitted_at=now - datetime.timedelta(days=40, hours=1),
        ),
        "jia_free_text_closed": _case(
            ("1.00",),
            owner=two,
            respondent_institution=None,
            respondent_name="甲支付有限公司",
            province="SH",
            status=Status.CLOSED,
            amount_recovered=Decimal("1.00"),
            submitted_at=now - datetime.timedelta(days=100),
        ),
        "jia_draft": _case(
            ("99999.00",),
            owner=one,
            respondent_institution=jia,
            province="SH",
            status=Status.DRAFT,
            amount_recovered=None,
        ),
    }
    return cases


def _rows(breakdown):
    return {
        row.label: (row.cases, row.claimed, row.recovered) for row in breakdown.rows
    }


def test_figures_on_a_known_dataset(reviewer_client, dataset):
    response = reviewer_client.get(URL, **EN)
    assert response.status_code == 200
    context = response.context

    assert {row["status"]: row["count"] for row in context["statuses"]} == {
        "submitted": 1,
        "in_review": 1,
        "needs_info": 1,
        "accepted": 0,
        "filed": 0,
        "resolved": 1,
        "rejected": 1,
        "withdrawn": 0,
        "closed": 1,
    }
    assert [str(row["label"]) for row in context["statuses"]][:3] == [
        "Submitted",
        "In review",
        "Information requested",
    ]
    assert context["case_count"] == 6

    assert _rows(context["institutions"]) == {
        "甲支付有限公司": (3, Decimal("6235.56"), Decimal("1201.50")),
        "乙支付有限公司": (1, Decimal("300.30"), Decimal("0.00")),
        "丙商务服务公司": (1, Decimal("50.00"), Decimal("0.00")),
        "Unknown": (1, Decimal("10.00"), Decimal("0.00")),
    }
    # Largest claim first, "unknown" last.
    assert [row.label for row in context["institutions"].rows] == [
        "甲支付有限公司",
        "乙支付有限公司",
        "丙商务服务公司",
        "Unknown",
    ]
    total = context["institutions"].total
    assert (total.cases, total.claimed, total.recovered) == (
        6,
        Decimal("6595.86"),
        Decimal("1201.50"),
    )

    assert _rows(context["provinces"]) == {
        "Guangdong": (2, Decimal("5300.30"), Decimal("1200.50")),
        "Shanghai": (2, Decimal("1235.56"), Decimal("1.00")),
        "Beijing": (1, Decimal("50.00"), Decimal("0.00")),
        "Unknown": (1, Decimal("10.00"), Decimal("0.00")),
    }
    total = context["provinces"].total
    assert (total.claimed, total.recovered) == (Decimal("6595.86"), Decimal("1201.50"))

    waiting = context["waiting"]
    assert [case.pk for case in waiting] == [
        dataset["unknown_needs_info"].pk,
        dataset["jia_submitted"].pk,
        dataset["yi_in_review"].pk,
    ]
    assert [case.days_waiting for case in waiting] == [40, 30, 10]
    assert [case.total_claimed for case in waiting] == [
        Decimal("10.00"),
        Decimal("1234.56"),
        Decimal("300.30"),
    ]

    chart = context["chart_data"]
    assert chart["institutions"]["claimed"] == ["6235.56", "300.30", "50.00", "10.00"]
    assert chart["provinces"]["labels"] == [
        "Guangdong",
        "Shanghai",
        "Beijing",
        "Unknown",
    ]
    assert chart["status"]["counts"] == [1, 1, 1, 0, 0, 1, 1, 0, 1]


def test_page_shows_money_with_separators_and_links_to_cases(reviewer_client, dataset):
    html = reviewer_client.get(URL, **EN).content.decode()
    assert "6,235.56" in html
    assert "6,595.86" in html
    assert "1,201.50" in html
    assert "1,234.56" in html
    assert "99,999.00" not in html  # the draft
    change = reverse(
        "admin:complaints_complaint_change", args=[dataset["jia_submitted"].pk]
    )
    assert f'href="{change}"' in html
    assert dataset["jia_draft"].number not in html
    assert "Oldest waiting cases" in html
    assert "Claimed and recovered by institution" in html


def test_empty_dashboard(reviewer_client):
    response = reviewer_client.get(URL, **EN)
    assert response.status_code == 200
    assert response.context["case_count"] == 0
    assert all(row["count"] == 0 for row in response.context["statuses"])
    assert len(response.context["statuses"]) == len(Status) - 1  # no draft row
    assert "No case is waiting." in response.content.decode()


def test_many_institutions_are_folded_into_an_other_row(reviewer_client, monkeypatch):
    monkeypatch.setattr(dashboard, "INSTITUTION_ROWS", 2)
    for amount in ("400.00", "300.00", "200.00", "100.00"):
        _case((amount,), status=Status.SUBMITTED, submitted_at=timezone.now())
    rows = reviewer_client.get(URL, **EN).context["institutions"].rows
    assert [row.claimed for row in rows] == [
        Decimal("400.00"),
        Decimal("300.00"),
        Decimal("300.00"),
    ]
    assert rows[-1].is_other
    assert rows[-1].label == "Other (2 more)"
    assert rows[-1].cases == 2


def test_the_admin_site_wraps_the_page(reviewer_client):
    html = reviewer_client.get(URL, **EN).content.decode()
    assert "casetracker administration" in html  # admin header
    assert 'id="user-tools"' in html
    assert reverse("admin_dashboard") == URL


def test_anonymous_and_non_staff_users_are_sent_to_the_admin_login(client, user):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_reviewer_permissions_are_refused(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(URL, **EN).status_code == 403
    # Nor is the dashboard offered to them on the admin index.
    assert (
        reverse("admin_dashboard") not in client.get("/admin/", **EN).content.decode()
    )


def test_the_admin_index_links_to_the_dashboard(reviewer_client):
    response = reviewer_client.get("/admin/", **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{URL}"' in html
    assert "Open the dashboard" in html
    # Still the admin index underneath.
    assert "app-complaints" in html or "Case review" in html


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def test_no_inline_script_or_style_only_json_data(reviewer_client, dataset):
    response = reviewer_client.get(URL, **EN)
    html = response.content.decode()
    scripts = SCRIPT.findall(html)
    assert scripts
    for attrs, body in scripts:
        if "src=" in attrs:
            assert body.strip() == ""
        else:
            assert 'type="application/json"' in attrs, attrs
    json_blocks = [a for a, _b in scripts if "application/json" in a]
    assert json_blocks == [' id="dashboard-data" type="application/json"']
    assert " style=" not in html
    assert "<style" not in html
    assert "cdn" not in html.lower()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_chart_js_is_vendored_and_served_from_static(reviewer_client):
    html = reviewer_client.get(URL, **EN).content.decode()
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in html
    assert 'src="/static/js/dashboard.js"' in html
    assert 'href="/static/css/dashboard.css"' in html
    for path in (
        "/static/vendor/chartjs/chart.umd.min.js",
        "/static/js/dashboard.js",
        "/static/css/dashboard.css",
    ):
        response = reviewer_client.get(path)
        assert response.status_code == 200, path
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        if path.endswith("chart.umd.min.js"):
            assert b"Chart.js v4" in body[:200]


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **EN)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _cases(count):
    institutions = InstitutionFactory.create_batch(3)
    owners = UserFactory.create_batch(2)
    statuses = [s for s in Status if s != Status.DRAFT]
    now = timezone.now()
    for i in range(count):
        _case(
            ("100.00", "23.45")[: 1 + i % 2],
            owner=owners[i % 2],
            respondent_institution=institutions[i % 3] if i % 4 else None,
            respondent_name=f"自由填写公司{i % 5}",
            province=("SH", "GD", "BJ", "")[i % 4],
            status=statuses[i % len(statuses)],
            amount_recovered=Decimal("5.00") if i % 3 == 0 else None,
            submitted_at=now - datetime.timedelta(days=i),
        )


# Session and user (2), the user's and the group's permissions (2), the
# dashboard's own queries (status counts 1, two breakdowns of 2 each, waiting
# cases 1: 6), and the session save of SESSION_SAVE_EVERY_REQUEST (3).
DASHBOARD_BUDGET = 13


def test_query_count_does_not_grow_with_the_number_of_cases(reviewer_client):
    reviewer_client.get(URL, **EN)  # warm-up (content types, translations)
    _cases(3)
    small = _queries_for(reviewer_client, URL)
    _cases(57)
    large = _queries_for(reviewer_client, URL)
    assert small == large
    assert large <= DASHBOARD_BUDGET
