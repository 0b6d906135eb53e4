"""Filings in the admin: the read-only rows on the case page, the filing
list (columns, filters, search), recording a filing and the body's answer
through the services, the queue's "deadlines" filter, the "untimely bodies"
report, and who may do what there.

"Today" is frozen at TODAY: every due date below is counted from it."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from complaints import clocks, services, workflow
from complaints.models import Channel, Complaint, Filing, Status, StatusChange
from complaints.submission import Problem
from tests.factories import (
    ComplaintFactory,
    FilingFactory,
    InstitutionFactory,
    LossItemFactory,
    UserFactory,
)
from tests.reviewers import client_for, make_reviewer

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 16)  # a Monday
FILINGS = reverse("admin:complaints_filing_changelist")
ADD = reverse("admin:complaints_filing_add")
UNTIMELY = reverse("admin:complaints_filing_untimely")
CASES = reverse("admin:complaints_complaint_changelist")


def days(n):
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def _today():
    # Noon in Shanghai: the same day in UTC and in the local time zone.
    with freeze_time("2026-11-16 04:00:00"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reviewer():
    return make_reviewer()


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


def channel(code):
    return Channel.objects.get(code=code)


def submitted_case(**kwargs):
    complaint = ComplaintFactory(**kwargs)
    LossItemFactory(complaint=complaint, amount=Decimal("1234.50"))
    return workflow.transition(
        complaint, target=Status.SUBMITTED, actor=complaint.owner
    )


def accepted_case(reviewer, **kwargs):
    complaint = submitted_case(**kwargs)
    for target in (Status.IN_REVIEW, Status.ACCEPTED):
        complaint = workflow.transition(complaint, target=target, actor=reviewer)
    return complaint


def recorded(reviewer, complaint=None, code="institution", sent_on=None, **kwargs):
    """A filing recorded through the service (due dates stored)."""
    return services.filing_record(
        actor=reviewer,
        complaint=complaint or submitted_case(),
        channel=channel(code),
        sent_on=sent_on or days(-10),
        method=kwargs.pop("method", Filing.Method.POST),
        **kwargs,
    )


def change_url(filing):
    return reverse("admin:complaints_filing_change", args=[filing.pk])


def case_url(complaint):
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def listed(response):
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def add_data(complaint, **overrides):
    return {
        "complaint": complaint.pk,
        "channel": channel("institution").pk,
        "sent_on": days(-3).isoformat(),
        "method": Filing.Method.POST,
        "reference": "EMS1122334455",
        "letter": "",
        "proof": "",
        "note": "",
        **overrides,
    }


def reply_data(**overrides):
    return {
        "accepted_on": "",
        "reply_on": "",
        "outcome": "",
        "reply_summary": "",
        **overrides,
    }


# --- The case page ------------------------------------------------------------


def test_the_case_page_shows_its_filings_with_the_deadline(reviewer_client, reviewer):
    complaint = accepted_case(reviewer)
    # Sent 20 days ago to the institution: 15 calendar days, so overdue.
    filing = recorded(reviewer, complaint, sent_on=days(-20), reference="EMS-OLD")
    waiting = recorded(reviewer, complaint, code="pboc", sent_on=days(-2))

    response = reviewer_client.get(case_url(complaint))

    assert response.status_code == 200
    page = response.content.decode()
    assert "filings (letters sent) and deadlines" in page.lower()
    assert "EMS-OLD" in page
    assert change_url(filing) in page
    assert change_url(waiting) in page
    overdue_by = (TODAY - filing.due_on).days
    assert f"{overdue_by} days overdue" in page
    assert f"{(waiting.due_on - TODAY).days} days left" in page
    # The case is filed: more filings can be recorded, from here.
    assert f"{ADD}?complaint={complaint.pk}" in page


def test_the_case_page_lists_filings_without_a_query_per_filing(
    reviewer_client, reviewer
):
    short, long = accepted_case(reviewer), accepted_case(reviewer)
    recorded(reviewer, short)
    for _index in range(6):
        recorded(reviewer, long, code="pboc")
    reviewer_client.get(case_url(short))  # warm the per-process caches

    def measure(case):
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_client.get(case_url(case)).status_code == 200
        return len(queries)

    assert measure(short) == measure(long)


def test_without_view_filing_the_case_page_shows_no_filings(reviewer):
    complaint = accepted_case(reviewer)
    recorded(reviewer, complaint, reference="EMS-HIDDEN")
    client = client_for(
        make_reviewer(without=("view_filing", "add_filing", "change_filing"))
    )

    response = client.get(case_url(complaint))

    assert response.status_code == 200
    assert "EMS-HIDDEN" not in response.content.decode()
    assert ADD not in response.content.decode()


# --- The filing list ------------------------------------------------------------


def test_the_filing_list_columns(reviewer_client, reviewer):
    typed = submitted_case(respondent_institution=None, respondent_name="某某支付")
    overdue = recorded(reviewer, typed, sent_on=days(-30))
    soon = recorded(reviewer, sent_on=days(-10))
    answered = recorded(reviewer, sent_on=days(-12))
    answered = services.filing_reply(
        actor=reviewer,
        filing=answered,
        reply_on=days(-1),
        outcome=Filing.Outcome.RESOLVED,
    )
    no_clock = recorded(reviewer, code="samr-12315-report", sent_on=days(-5))

    response = reviewer_client.get(FILINGS)

    # Most overdue first; nothing due (answered, no clock) last.
    rows = listed(response)
    assert rows[:2] == [overdue, soon]
    assert set(rows[2:]) == {answered, no_clock}
    page = response.content.decode()
    assert f'<a href="{case_url(typed)}">{typed.number}</a>' in page
    assert "某某支付" in page
    assert soon.complaint.respondent_institution.name in page
    assert f"{(TODAY - overdue.due_on).days} days overdue" in page
    assert 'class="errorlist deadline-overdue"' in page
    assert f"{(soon.due_on - TODAY).days} days left" in page
    assert 'data-deadline="answered"' in page
    assert 'data-deadline="none"' in page
    # Linked to the untimely-bodies report.
    assert UNTIMELY in page


def test_the_filing_list_filters_and_search(reviewer_client, reviewer):
    overdue = recorded(reviewer, sent_on=days(-30), reference="EMS-A")
    due_in_5 = FilingFactory(
        complaint=submitted_case(), first_due_on=days(5), due_on=days(5)
    )
    due_in_9 = FilingFactory(
        complaint=submitted_case(), first_due_on=days(9), due_on=days(9)
    )
    answered = recorded(reviewer, code="pboc", sent_on=days(-3))
    answered = services.filing_reply(
        actor=reviewer,
        filing=answered,
        accepted_on=days(-1),
        outcome=Filing.Outcome.ACCEPTED,
    )

    def rows(**params):
        return set(listed(reviewer_client.get(FILINGS, params)))

    assert rows(deadline="overdue") == {overdue}
    assert rows(deadline="soon") == {due_in_5}
    assert rows(deadline="answered") == {answered}
    assert rows(outcome__exact="accepted") == {answered}
    assert rows(channel__id__exact=channel("pboc").pk) == {answered}
    assert rows(channel__id__exact=channel("institution").pk) == {
        overdue,
        due_in_5,
        due_in_9,
    }
    assert rows(q="EMS-A") == {overdue}
    assert rows(q=due_in_9.complaint.number) == {due_in_9}


def test_the_filing_list_issues_the_same_queries_for_3_and_30_filings(
    reviewer_client, reviewer
):
    def fill(count):
        for index in range(count):
            FilingFactory(
                complaint=submitted_case(
                    respondent_institution=None if index % 2 else InstitutionFactory(),
                    respondent_name=f"代理商{index}" if index % 2 else "",
                ),
                first_due_on=days(index - 10),
                due_on=days(index - 10),
            )

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_client.get(FILINGS).status_code == 200
        return len(queries)

    reviewer_client.get(FILINGS)  # warm the per-process caches
    fill(3)
    small = measure()
    fill(27)
    assert measure() == small


# --- Recording a filing ---------------------------------------------------------


def test_adding_a_filing_records_it_through_the_service(reviewer_client, reviewer):
    complaint = accepted_case(reviewer)

    form = reviewer_client.get(ADD, {"complaint": complaint.pk})
    assert form.status_code == 200
    assert complaint.number in form.content.decode()
    response = reviewer_client.post(ADD, add_data(complaint))

    assert response.status_code == 302
    assert response["Location"] == case_url(complaint)
    filing = Filing.objects.get(complaint=complaint)
    assert filing.sent_on == days(-3)
    assert filing.reference == "EMS1122334455"
    assert filing.recorded_by == reviewer
    expected = clocks.add_days(days(-3), 15, clocks.CALENDAR).due
    assert filing.first_due_on == filing.due_on == expected
    assert filing.due_stage == "reply"
    # The workflow moved the case, and says so on the timeline.
    complaint.refresh_from_db()
    assert complaint.status == Status.FILED
    assert StatusChange.objects.filter(
        complaint=complaint, from_status=Status.ACCEPTED, to_status=Status.FILED
    ).exists()
    # The admin's history has it.
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("The filing is recorded" in m for m in messages)


def test_a_filing_for_a_draft_is_refused_with_a_message(reviewer_client):
    draft = ComplaintFactory()

    warned = reviewer_client.get(ADD, {"complaint": draft.pk})
    response = reviewer_client.post(ADD, add_data(draft))

    refusal = (
        "Filings can be recorded once the case is submitted and until it is closed."
    )
    assert refusal in warned.content.decode()
    assert response.status_code == 200
    assert refusal in response.context["adminform"].form.errors["complaint"]
    assert not Filing.objects.exists()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_the_add_form_offers_only_the_case_s_own_evidence(reviewer_client, reviewer):
    from complaints.models import Evidence

    complaint = accepted_case(reviewer)
    other = submitted_case()
    foreign = Evidence.objects.create(
        complaint=other,
        kind=Evidence.Kind.RECEIPT,
        purpose="邮寄回执",
        file="evidence/receipt.jpg",
        original_name="回执.jpg",
        content_type="image/jpeg",
        size=3,
        sha256="0" * 64,
    )

    response = reviewer_client.post(ADD, add_data(complaint, proof=foreign.pk))

    assert response.status_code == 200
    assert "proof" in response.context["adminform"].form.errors
    assert not Filing.objects.exists()


@pytest.mark.parametrize(
    ("error", "where", "text"),
    [
        (ValidationError({"reference": "Not like that."}), "reference", "Not like"),
        (ValidationError({"elsewhere": "Odd."}), "__all__", "Odd."),
        (PermissionDenied("no"), "complaint", "Filings can be recorded once"),
        (
            workflow.TransitionError(
                "The action could not be completed.",
                problems=[Problem("filings", "Record the filing first.")],
            ),
            "__all__",
            "Record the filing first.",
        ),
    ],
    ids=["field", "other-field", "permission", "transition"],
)
def test_a_refusal_of_the_service_is_a_form_error_not_a_500(
    reviewer_client, reviewer, monkeypatch, error, where, text
):
    complaint = accepted_case(reviewer)

    def refuse(**kwargs):
        raise error

    monkeypatch.setattr(services, "filing_record", refuse)

    response = reviewer_client.post(ADD, add_data(complaint))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(text in message for message in errors[where])
    assert not Filing.objects.exists()


def test_a_reviewer_without_add_filing_cannot_add(reviewer):
    complaint = accepted_case(reviewer)
    client = client_for(make_reviewer(without=("add_filing",)))

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, add_data(complaint)).status_code == 403
    assert not Filing.objects.exists()
    assert f"{ADD}?complaint=" not in client.get(case_url(complaint)).content.decode()


# --- Recording the answer ---------------------------------------------------------


def test_the_answer_is_recorded_through_the_service_and_moves_the_deadline(
    reviewer_client, reviewer
):
    # The Payment & Clearing Association: notice of acceptance within 5
    # working days, then 30 working days to investigate.
    filing = recorded(reviewer, code="pcac", sent_on=days(-14))
    assert filing.due_stage == "acceptance_notice"
    sent_on, first_due = filing.sent_on, filing.first_due_on

    page = reviewer_client.get(change_url(filing))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert set(form.fields) == {"accepted_on", "reply_on", "outcome", "reply_summary"}

    response = reviewer_client.post(
        change_url(filing),
        reply_data(
            accepted_on=days(-8).isoformat(),
            outcome=Filing.Outcome.ACCEPTED,
            # Not on the form: ignored.
            sent_on="2020-01-01",
            reference="CHANGED",
        ),
    )

    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.sent_on == sent_on
    assert filing.reference != "CHANGED"
    assert filing.accepted_on == days(-8)
    assert filing.first_due_on == first_due
    assert filing.due_stage == "investigation"
    assert filing.due_on == clocks.add_days(days(-8), 30, clocks.WORKING).due

    reviewer_client.post(
        change_url(filing),
        reply_data(
            accepted_on=days(-8).isoformat(),
            reply_on=days(-1).isoformat(),
            outcome=Filing.Outcome.PARTIAL,
            reply_summary="退还押金，冻结资金未解冻。",
        ),
    )
    filing.refresh_from_db()
    assert filing.due_on is None
    assert filing.outcome == Filing.Outcome.PARTIAL
    assert filing.reply_summary == "退还押金，冻结资金未解冻。"


def test_an_impossible_answer_is_a_form_error(reviewer_client, reviewer):
    filing = recorded(reviewer, sent_on=days(-10))

    before_sent = reviewer_client.post(
        change_url(filing), reply_data(reply_on=days(-11).isoformat())
    )
    no_date = reviewer_client.post(
        change_url(filing), reply_data(outcome=Filing.Outcome.RESOLVED)
    )
    future = reviewer_client.post(
        change_url(filing),
        reply_data(reply_on=days(2).isoformat(), outcome=Filing.Outcome.RESOLVED),
    )

    for response in (before_sent, no_date, future):
        assert response.status_code == 200
        assert "reply_on" in response.context["adminform"].form.errors
    filing.refresh_from_db()
    assert filing.reply_on is None
    assert filing.outcome == ""


def test_a_refusal_of_the_reply_service_is_a_form_error(
    reviewer_client, reviewer, monkeypatch
):
    filing = recorded(reviewer, sent_on=days(-10))

    def refuse(**kwargs):
        raise PermissionDenied("closed meanwhile")

    monkeypatch.setattr(services, "filing_reply", refuse)
    response = reviewer_client.post(
        change_url(filing),
        reply_data(reply_on=days(-1).isoformat(), outcome=Filing.Outcome.RESOLVED),
    )

    assert response.status_code == 200
    assert "Filings can be recorded once" in str(
        response.context["adminform"].form.non_field_errors()
    )


def test_the_answer_of_a_closed_case_is_read_only(reviewer_client, reviewer):
    complaint = accepted_case(reviewer)
    filing = recorded(reviewer, complaint, sent_on=days(-10))
    workflow.transition(
        Complaint.objects.get(pk=complaint.pk),
        target=Status.RESOLVED,
        actor=reviewer,
        note="已解决",
        outcome=Complaint.Outcome.FULL,
        amount_recovered=Decimal("1234.50"),
    )
    workflow.transition(
        Complaint.objects.get(pk=complaint.pk), target=Status.CLOSED, actor=reviewer
    )

    page = reviewer_client.get(change_url(filing))
    response = reviewer_client.post(
        change_url(filing),
        reply_data(reply_on=days(-1).isoformat(), outcome=Filing.Outcome.RESOLVED),
    )

    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}
    assert response.status_code == 403
    filing.refresh_from_db()
    assert filing.reply_on is None


def test_filings_are_not_deleted_by_reviewers(reviewer_client, reviewer):
    filing = recorded(reviewer)
    delete = reverse("admin:complaints_filing_delete", args=[filing.pk])

    assert reviewer_client.post(delete, {"post": "yes"}).status_code == 403
    assert Filing.objects.filter(pk=filing.pk).exists()


# --- Who may see filings -----------------------------------------------------------


def test_a_reviewer_without_view_filing_sees_neither_list_nor_report(reviewer):
    recorded(reviewer)
    client = client_for(
        make_reviewer(without=("view_filing", "add_filing", "change_filing"))
    )

    assert client.get(FILINGS).status_code == 403
    assert client.get(UNTIMELY).status_code == 403
    assert UNTIMELY not in client.get(reverse("admin:index")).content.decode()


def test_staff_who_are_not_reviewers_see_only_their_own_cases_filings(reviewer):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="complaints", codename="view_filing"
        )
    )
    own = recorded(reviewer, submitted_case(owner=staff))
    recorded(reviewer)
    client = client_for(staff)

    assert listed(client.get(FILINGS)) == [own]
    report = client.get(UNTIMELY).context["by_body"]
    assert report.total.filings == 1


def test_the_report_is_behind_the_admin_login(client, user):
    assert client.get(UNTIMELY).status_code == 302
    client.force_login(user)
    response = client.get(UNTIMELY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_index_links_to_the_report(reviewer_client):
    page = reviewer_client.get(reverse("admin:index")).content.decode()
    assert f'href="{UNTIMELY}"' in page


# --- The queue's "deadlines" filter -------------------------------------------------


def test_the_queue_filters_cases_by_their_filings_deadlines(reviewer_client, reviewer):
    overdue = submitted_case()
    FilingFactory(complaint=overdue, first_due_on=days(-3), due_on=days(-3))
    FilingFactory(complaint=overdue, first_due_on=days(20), due_on=days(20))
    soon = submitted_case()
    FilingFactory(complaint=soon, first_due_on=days(7), due_on=days(7))
    answered = submitted_case()
    FilingFactory(
        complaint=answered,
        first_due_on=days(-3),
        due_on=None,
        reply_on=days(-4),
        outcome=Filing.Outcome.RESOLVED,
    )
    submitted_case()  # nothing filed

    def numbers(**params):
        return {c.number for c in listed(reviewer_client.get(CASES, params))}

    assert numbers(deadlines="overdue") == {overdue.number}
    assert numbers(deadlines="soon") == {soon.number}
    assert len(numbers()) == 4


# --- Untimely bodies -----------------------------------------------------------------


def untimely_set():
    """Filings with hand-set deadlines and answers (see each comment)."""
    named = InstitutionFactory(name="甲支付有限公司")
    case_a = submitted_case(respondent_institution=named)
    case_b = submitted_case(respondent_institution=None, respondent_name=" 某某支付 ")
    case_c = submitted_case(respondent_institution=None, respondent_name="某某支付")
    due = days(-34)  # 2026-10-13

    def after_due(n):
        return due + datetime.timedelta(days=n)

    def filing(complaint, code, outcome="", **fields):
        return FilingFactory(
            complaint=complaint, channel=channel(code), outcome=outcome, **fields
        )

    resolved, no_relief = Filing.Outcome.RESOLVED, Filing.Outcome.NO_RELIEF
    # To the institution, 甲: in time, 7 days late, overdue, still waiting.
    filing(case_a, "institution", resolved, first_due_on=due, reply_on=after_due(-3))
    filing(
        case_a,
        "institution",
        no_relief,
        first_due_on=due,
        accepted_on=after_due(7),
        reply_on=after_due(12),
    )
    filing(case_a, "institution", first_due_on=days(-15), due_on=days(-15))
    filing(case_a, "institution", first_due_on=days(14), due_on=days(14))
    # To the institution, typed 某某支付 (two spellings, one name): 3 and 1
    # days late (a reply without acceptance; an acceptance before the reply).
    filing(case_b, "institution", no_relief, first_due_on=due, reply_on=after_due(3))
    filing(
        case_c,
        "institution",
        Filing.Outcome.PARTIAL,
        first_due_on=due,
        accepted_on=after_due(1),
        reply_on=after_due(17),
    )
    # To the central bank: in time (accepted only), overdue, and accepted on
    # a day nobody wrote down.
    accepted = Filing.Outcome.ACCEPTED
    filing(case_a, "pboc", accepted, first_due_on=days(-27), accepted_on=days(-30))
    filing(case_b, "pboc", first_due_on=days(-6), due_on=days(-6))
    filing(case_c, "pboc", accepted, first_due_on=days(-6))
    # A body without a clock.
    filing(case_a, "samr-12315-report", first_due_on=None, reply_on=days(-2))


def table_of(response, name):
    return {
        row.label: row
        for row in [*response.context[name].rows, response.context[name].total]
    }


def counts(row):
    return (
        row.filings,
        row.in_time,
        row.late,
        row.overdue,
        row.waiting,
        row.undated,
        row.no_deadline,
        row.share_late_percent,
        None if row.average_days_late is None else round(row.average_days_late, 2),
    )


def test_the_untimely_report_by_body(reviewer_client):
    untimely_set()

    response = reviewer_client.get(UNTIMELY)

    assert response.status_code == 200
    body = response.context["by_body"]
    institution = channel("institution").display_name
    pboc = channel("pboc").display_name
    report = channel("samr-12315-report").display_name
    # Worst first; a body with nothing decided last.
    assert [row.label for row in body.rows] == [institution, pboc, report]
    rows = table_of(response, "by_body")
    # filings, in time, late, overdue, waiting, undated, no deadline, % late,
    # average days late
    assert counts(rows[institution]) == (6, 1, 3, 1, 1, 0, 0, 80, round(11 / 3, 2))
    assert counts(rows[pboc]) == (3, 1, 0, 1, 0, 1, 0, 50, None)
    assert counts(rows[report]) == (1, 0, 0, 0, 0, 0, 1, None, None)
    assert counts(rows["Total"]) == (10, 2, 3, 2, 1, 1, 1, 71, round(11 / 3, 2))
    page = response.content.decode()
    assert f"?channel__id__exact={channel('institution').pk}" in page
    assert "80%" in page
    assert "3.7" in page


def test_the_untimely_report_by_institution(reviewer_client):
    untimely_set()

    response = reviewer_client.get(UNTIMELY)

    table = response.context["by_institution"]
    assert [row.label for row in table.rows] == ["某某支付", "甲支付有限公司"]
    rows = table_of(response, "by_institution")
    assert counts(rows["某某支付"]) == (2, 0, 2, 0, 0, 0, 0, 100, 2.0)
    assert counts(rows["甲支付有限公司"]) == (4, 1, 1, 1, 1, 0, 0, 67, 7.0)
    assert counts(rows["Total"]) == (6, 1, 3, 1, 1, 0, 0, 80, round(11 / 3, 2))


def test_many_institutions_end_in_one_other_row(reviewer_client, monkeypatch):
    from complaints.selectors import filings as filing_selectors

    monkeypatch.setattr(filing_selectors, "UNTIMELY_INSTITUTION_ROWS", 1)
    for index, late_by in enumerate([5, 0, 0]):
        FilingFactory(
            complaint=submitted_case(
                respondent_institution=InstitutionFactory(name=f"机构{index}")
            ),
            first_due_on=days(-20),
            reply_on=days(-20 + late_by),
        )

    table = reviewer_client.get(UNTIMELY).context["by_institution"]

    assert [row.label for row in table.rows] == ["机构0", "Other (2 more)"]
    assert table.rows[1].is_other
    assert counts(table.rows[1])[:3] == (2, 2, 0)
    assert table.total.filings == 3


def test_the_untimely_report_renders_in_chinese(reviewer):
    untimely_set()
    response = client_for(reviewer, language="zh-hans").get(UNTIMELY)
    assert response.status_code == 200
    assert "某某支付" in response.content.decode()


def test_the_untimely_report_issues_the_same_queries_for_3_and_30_filings(
    reviewer_client,
):
    def fill(count):
        codes = ["institution", "pboc", "pcac", "samr-12315-report"]
        for index in range(count):
            typed = index % 3 == 0
            complaint = submitted_case(
                respondent_institution=None if typed else InstitutionFactory(),
                respondent_name=f"代理商{index}" if typed else "",
            )
            FilingFactory(
                complaint=complaint,
                channel=channel(codes[index % len(codes)]),
                first_due_on=days(index - 15),
                due_on=days(index - 15),
                reply_on=days(index - 14) if index % 2 else None,
            )

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = reviewer_client.get(UNTIMELY)
        assert response.status_code == 200
        return len(queries), response

    reviewer_client.get(UNTIMELY)  # warm the per-process caches
    fill(3)
    small, _response = measure()
    fill(27)
    large, response = measure()

    assert small == large
    assert response.context["by_body"].total.filings == 30
