"""The reviewers' side in the admin: the queue (columns, filters, search,
query budget, bounded count), the case page (read-only facts, timeline,
messages and notes, workflow buttons), bulk actions, the CSV export, and who
may do what there."""

import csv
import hashlib
import io
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from complaints import exports, services, workflow
from complaints.admin.paginator import CappedCountPaginator
from complaints.models import (
    Brand,
    Complaint,
    Evidence,
    Institution,
    Message,
    Status,
    StatusChange,
)
from tests.factories import (
    BrandFactory,
    ComplaintFactory,
    InstitutionFactory,
    LossItemFactory,
    UserFactory,
)
from tests.reviewers import client_for

pytestmark = pytest.mark.django_db

# Migrations 0004 and 0006: what the "Reviewers" group holds.
REVIEWER_CODENAMES = [
    "view_complaint",
    "view_lossitem",
    "view_statuschange",
    "view_evidence",
    "change_evidence",
    "view_institution",
    "view_brand",
    "view_channel",
    "review_complaint",
    "view_message",
    "add_message",
]
CHANGELIST = reverse("admin:complaints_complaint_changelist")
EXPORT = reverse("admin:complaints_complaint_export")
_sha = itertools.count()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_reviewer(**kwargs):
    """Staff in the Reviewers group, rebuilt here with the migrations'
    permissions (a transactional test elsewhere may have flushed it)."""
    group, _created = Group.objects.get_or_create(name="Reviewers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="complaints", codename__in=REVIEWER_CODENAMES
        )
    )
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def reviewer():
    return make_reviewer()


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


@pytest.fixture
def en_owner(owner_client):
    owner_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return owner_client


def submitted_case(owner=None, losses=(Decimal("1000.00"),), **kwargs):
    """A case its owner has submitted, with the given loss amounts."""
    if owner is not None:
        kwargs["owner"] = owner
    complaint = ComplaintFactory(**kwargs)
    for amount in losses:
        LossItemFactory(complaint=complaint, amount=amount)
    return workflow.transition(
        complaint, target=Status.SUBMITTED, actor=complaint.owner
    )


def advance(complaint, actor, *targets, **inputs):
    """Walk the case through `targets` as `actor`; the fresh case."""
    for target in targets:
        complaint = workflow.transition(complaint, target=target, actor=actor, **inputs)
    return complaint


def add_evidence(complaint):
    """An evidence row (no stored file: the admin list only asks if any exist)."""
    return Evidence.objects.create(
        complaint=complaint,
        kind=Evidence.Kind.SCREENSHOT,
        purpose="终端停用通知",
        original_name="notice.png",
        content_type="image/png",
        size=10,
        sha256=hashlib.sha256(str(next(_sha)).encode()).hexdigest(),
        file="evidence/notice.png",
    )


def change_url(complaint):
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def transition_url(complaint, target):
    return reverse("admin:complaints_complaint_transition", args=[complaint.pk, target])


def status_of(complaint):
    return Complaint.objects.values_list("status", flat=True).get(pk=complaint.pk)


def listed_numbers(response):
    return [c.number for c in response.context["cl"].result_list]


# --- 1. The queue -----------------------------------------------------------------


def test_the_queue_lists_submitted_cases_with_masked_names_and_no_drafts(
    reviewer_client, user
):
    case = submitted_case(owner=user, complainant_name="王小明")
    draft = ComplaintFactory(owner=user)

    response = reviewer_client.get(CHANGELIST)

    assert response.status_code == 200
    assert listed_numbers(response) == [case.number]
    page = response.content.decode()
    assert "王**" in page
    assert "王小明" not in page
    assert draft.number not in page
    assert case.respondent_display in page
    assert "1,000.00" in page
    # Drafts are not even reachable by their admin URL.
    assert reviewer_client.get(change_url(draft)).status_code == 302


def test_the_queue_shows_the_days_waiting_since_the_last_status_change(
    reviewer_client, reviewer
):
    case = submitted_case()
    Complaint.objects.filter(pk=case.pk).update(
        submitted_at=timezone.now() - timedelta(days=9)
    )
    StatusChange.objects.filter(complaint=case).update(
        created_at=timezone.now() - timedelta(days=9)
    )
    workflow.transition(case, target=Status.IN_REVIEW, actor=reviewer)
    StatusChange.objects.filter(complaint=case, to_status=Status.IN_REVIEW).update(
        created_at=timezone.now() - timedelta(days=4, hours=1)
    )

    response = reviewer_client.get(CHANGELIST)

    (row,) = response.context["cl"].result_list
    assert response.context["cl"].model_admin.days_waiting(row) == 4


@pytest.mark.parametrize(
    "field, query",
    [
        ("number", None),
        ("terminal_sn", None),
        ("merchant_number", "831290157229999"),
        ("contact_phone", "13912345678"),
        ("complainant_name", "欧阳娜娜"),
    ],
)
def test_search_finds_a_case_by_each_identifier(reviewer_client, field, query):
    target = submitted_case(
        merchant_number="831290157229999",
        contact_phone="13912345678",
        complainant_name="欧阳娜娜",
    )
    submitted_case()
    query = query or getattr(target, field)

    response = reviewer_client.get(CHANGELIST, {"q": query})

    assert listed_numbers(response) == [target.number]


def test_the_assignee_filter_has_mine_and_unassigned(reviewer_client, reviewer):
    mine = submitted_case()
    services.complaint_assign(actor=reviewer, complaint=mine, assignee=reviewer)
    theirs = submitted_case()
    other = make_reviewer()
    services.complaint_assign(actor=other, complaint=theirs, assignee=other)
    nobodys = submitted_case()

    assert listed_numbers(reviewer_client.get(CHANGELIST, {"assigned": "mine"})) == [
        mine.number
    ]
    assert listed_numbers(
        reviewer_client.get(CHANGELIST, {"assigned": "unassigned"})
    ) == [nobodys.number]


def test_the_evidence_status_institution_and_brand_filters(reviewer_client, reviewer):
    institution = InstitutionFactory()
    brand = BrandFactory(name="喔刷")
    with_evidence = submitted_case(respondent_institution=institution, brand=brand)
    add_evidence(with_evidence)
    without = submitted_case()
    workflow.transition(without, target=Status.IN_REVIEW, actor=reviewer)

    def numbers(**params):
        return set(listed_numbers(reviewer_client.get(CHANGELIST, params)))

    assert numbers(evidence="yes") == {with_evidence.number}
    assert numbers(evidence="no") == {without.number}
    assert numbers(status__exact="in_review") == {without.number}
    assert numbers(respondent_institution__id__exact=institution.pk) == {
        with_evidence.number
    }
    assert numbers(brand__id__exact=brand.pk) == {with_evidence.number}
    assert numbers(province__exact="SH") == {with_evidence.number, without.number}


def test_the_queue_sorts_by_total_claimed(reviewer_client):
    small = submitted_case(losses=[Decimal("10.00")])
    large = submitted_case(losses=[Decimal("600.00"), Decimal("700.00")])
    middle = submitted_case(losses=[Decimal("500.00")])
    admin = reviewer_client.get(CHANGELIST).context["cl"].model_admin
    column = list(admin.get_list_display(None)).index("total_claimed") + 1  # checkbox

    ascending = reviewer_client.get(CHANGELIST, {"o": str(column)})
    descending = reviewer_client.get(CHANGELIST, {"o": f"-{column}"})

    assert listed_numbers(ascending) == [small.number, middle.number, large.number]
    assert listed_numbers(descending) == [large.number, middle.number, small.number]
    totals = [c.total_claimed for c in descending.context["cl"].result_list]
    assert totals == [Decimal("1300.00"), Decimal("500.00"), Decimal("10.00")]


def _fill(count, reviewer):
    for index in range(count):
        case = submitted_case(
            losses=[Decimal("100.00"), Decimal("23.45")],
            brand=BrandFactory(name="喔刷"),
        )
        add_evidence(case)
        if index % 2:
            workflow.transition(case, target=Status.IN_REVIEW, actor=reviewer)


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "WQ"}, {"status__exact": "submitted"}, {"evidence": "yes"}],
    ids=["plain", "search", "status", "evidence"],
)
def test_the_queue_issues_the_same_queries_for_3_and_40_cases(
    reviewer_client, reviewer, params
):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = reviewer_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return len(queries), [q["sql"] for q in queries]

    reviewer_client.get(CHANGELIST)  # warm the per-process caches
    _fill(3, reviewer)
    small, _sql = measure()
    _fill(37, reviewer)
    large, sql = measure()

    assert small == large
    assert large <= 13
    # The count is bounded: no COUNT(*) without a LIMIT inside it.
    counts = [q for q in sql if "COUNT(" in q.upper()]
    assert counts and all("LIMIT" in q.upper() for q in counts)


def test_the_queue_stays_within_its_query_budget(
    reviewer_client, reviewer, django_assert_max_num_queries
):
    _fill(5, reviewer)
    with django_assert_max_num_queries(13):
        assert reviewer_client.get(CHANGELIST).status_code == 200


def test_the_paginator_counts_at_most_its_cap(monkeypatch, reviewer_client, reviewer):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 4)
    _fill(6, reviewer)
    paginator = CappedCountPaginator(Complaint.objects.all(), 2)

    assert paginator.count == 4
    assert paginator.capped is True
    assert paginator.num_pages == 2
    response = reviewer_client.get(CHANGELIST)
    assert response.context["cl"].result_count == 4
    small = CappedCountPaginator(Complaint.objects.filter(pk__lt=0), 2)
    assert (small.count, small.capped) == (0, False)


# --- 2. The case page ---------------------------------------------------------------


def test_the_case_page_shows_facts_masked_losses_timeline_messages_and_notes(
    reviewer_client, reviewer
):
    case = submitted_case(losses=[Decimal("1234.56")])
    services.message_post(actor=case.owner, complaint=case, body="用户的补充说明")
    services.message_post(
        actor=reviewer, complaint=case, body="内部备注：疑似重复", internal=True
    )

    response = reviewer_client.get(change_url(case))

    assert response.status_code == 200
    page = response.content.decode()
    assert case.number in page
    assert "1101**********002X" in page
    assert "138****8000" in page
    assert "11010519491231002X" not in page
    assert "13800138000" not in page
    assert "1234.56" in page or "1,234.56" in page
    assert case.narrative in page
    assert "用户的补充说明" in page
    assert "内部备注：疑似重复" in page
    # Nothing on the page is an editable field of the case.
    assert response.context["adminform"].form.fields == {}
    for inline in response.context["inline_admin_formsets"]:
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission


def test_the_buttons_are_the_reviewer_moves_of_the_table(reviewer_client, reviewer):
    case = submitted_case()

    response = reviewer_client.get(change_url(case))

    page = response.content.decode()
    expected = workflow.allowed_transitions(reviewer, case, role=workflow.REVIEWER)
    assert [t.target for t in response.context["transitions"]] == [
        t.target for t in expected
    ]
    for rule in expected:
        assert f'data-testid="transition-{rule.target}"' in page
        assert transition_url(case, rule.target) in page
    assert 'data-testid="transition-withdrawn"' not in page
    assert 'data-testid="assign-to-me"' in page
    assert 'data-testid="message-form"' in page


def test_the_transition_form_asks_for_exactly_what_the_move_needs(reviewer_client):
    case = submitted_case()
    for target, needs in [
        (Status.IN_REVIEW, set()),
        (Status.NEEDS_INFO, {"note"}),
        (Status.REJECTED, {"note"}),
    ]:
        form = reviewer_client.get(transition_url(case, target)).context["form"]
        assert set(form.fields) - {"expected_status"} == needs
        assert form["expected_status"].value() == Status.SUBMITTED


def test_a_move_that_is_not_in_the_table_is_refused(reviewer_client):
    case = submitted_case()

    response = reviewer_client.post(
        transition_url(case, Status.CLOSED), {"expected_status": "submitted"}
    )

    assert response.status_code == 302
    assert status_of(case) == Status.SUBMITTED


def test_a_refused_move_shows_each_problem_next_to_its_field(reviewer_client):
    case = submitted_case()

    response = reviewer_client.post(
        transition_url(case, Status.NEEDS_INFO),
        {"expected_status": "submitted", "note": "   "},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["note"] == [
        "Say what information or evidence the user must add."
    ]
    assert "The action could not be completed." in response.content.decode()
    assert status_of(case) == Status.SUBMITTED
    assert StatusChange.objects.filter(complaint=case).count() == 1


def test_the_resolution_form_takes_outcome_and_amount_and_checks_them(
    reviewer_client, reviewer
):
    case = submitted_case()
    case = advance(case, reviewer, Status.IN_REVIEW, Status.ACCEPTED)
    url = transition_url(case, Status.RESOLVED)

    refused = reviewer_client.post(
        url,
        {
            "expected_status": "accepted",
            "outcome": "none",
            "amount_recovered": "50",
            "note": "",
        },
    )
    assert refused.context["form"].errors["amount_recovered"] == [
        "With no relief, the amount recovered must be 0."
    ]
    assert status_of(case) == Status.ACCEPTED

    done = reviewer_client.post(
        url,
        {
            "expected_status": "accepted",
            "outcome": "partial",
            "amount_recovered": "¥1,280.50",
            "note": "机构退还部分押金",
        },
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.RESOLVED, "partial")
    assert case.amount_recovered == Decimal("1280.50")

    zero = submitted_case()
    zero = advance(zero, reviewer, Status.IN_REVIEW, Status.ACCEPTED)
    reviewer_client.post(
        transition_url(zero, Status.RESOLVED),
        {"expected_status": "accepted", "outcome": "none", "amount_recovered": "0"},
    )
    zero.refresh_from_db()
    assert (zero.status, zero.amount_recovered) == (Status.RESOLVED, Decimal("0.00"))


def test_two_reviewers_at_once_the_second_is_told_and_nothing_changes(reviewer):
    case = submitted_case()
    first, second = client_for(reviewer), client_for(make_reviewer())
    # Both opened the "request information" form while the case was submitted.
    first.get(transition_url(case, Status.NEEDS_INFO))
    second.get(transition_url(case, Status.REJECTED))

    first.post(
        transition_url(case, Status.NEEDS_INFO),
        {"expected_status": "submitted", "note": "请补充收据"},
    )
    response = second.post(
        transition_url(case, Status.REJECTED),
        {"expected_status": "submitted", "note": "不属于受理范围"},
    )

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert status_of(case) == Status.NEEDS_INFO
    assert list(
        StatusChange.objects.filter(complaint=case).values_list("to_status", flat=True)
    ) == [Status.SUBMITTED, Status.NEEDS_INFO]


def test_a_stale_start_review_button_does_not_act_twice(reviewer_client, reviewer):
    case = submitted_case()
    workflow.transition(case, target=Status.IN_REVIEW, actor=make_reviewer())

    response = reviewer_client.post(
        transition_url(case, Status.IN_REVIEW),
        {"expected_status": "submitted"},
    )

    assert "changed by someone else" in response.content.decode()
    assert StatusChange.objects.filter(complaint=case).count() == 2


# --- 3. A case walked through the admin ---------------------------------------------


def test_a_reviewer_walks_a_case_from_submitted_to_closed(
    reviewer_client, reviewer, user, en_owner, mailoutbox
):
    case = submitted_case(owner=user)

    # Assign to me (the button).
    response = reviewer_client.post(
        reverse("admin:complaints_complaint_assign", args=[case.pk]), follow=True
    )
    assert "is assigned to you" in response.content.decode()
    case.refresh_from_db()
    assert case.assignee == reviewer
    assert case.status == Status.SUBMITTED  # assigning is not a status change

    # Request information with a message the owner reads on their page.
    response = reviewer_client.post(
        transition_url(case, Status.NEEDS_INFO),
        {"expected_status": "submitted", "note": "请上传停机通知截图"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == change_url(case)
    assert status_of(case) == Status.NEEDS_INFO
    detail = en_owner.get(case.get_absolute_url()).content.decode()
    assert 'data-testid="needs-info-banner"' in detail
    assert "请上传停机通知截图" in detail

    # The owner replies and resubmits; the reviewer starts again and accepts.
    en_owner.post(
        reverse("complaints:message", args=[case.public_id]), {"body": "已上传截图"}
    )
    en_owner.post(
        reverse("complaints:submit", args=[case.public_id]),
        {"expected_status": "needs_info"},
    )
    assert status_of(case) == Status.SUBMITTED
    assert "已上传截图" in reviewer_client.get(change_url(case)).content.decode()
    for target, data in [
        (Status.IN_REVIEW, {}),
        (Status.ACCEPTED, {}),
        (
            Status.RESOLVED,
            {"outcome": "full", "amount_recovered": "1000", "note": "已全额退还"},
        ),
        (Status.CLOSED, {}),
    ]:
        expected = status_of(case)
        response = reviewer_client.post(
            transition_url(case, target), {"expected_status": expected, **data}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert status_of(case) == target

    rows = list(
        StatusChange.objects.filter(complaint=case).values_list(
            "from_status", "to_status", "actor"
        )
    )
    assert rows[1:] == [
        ("submitted", "needs_info", reviewer.pk),
        ("needs_info", "submitted", user.pk),
        ("submitted", "in_review", reviewer.pk),
        ("in_review", "accepted", reviewer.pk),
        ("accepted", "resolved", reviewer.pk),
        ("resolved", "closed", reviewer.pk),
    ]
    case.refresh_from_db()
    assert (case.outcome, case.amount_recovered) == ("full", Decimal("1000.00"))


def test_a_reviewer_rejects_with_a_reason_the_owner_sees(
    reviewer_client, user, en_owner
):
    case = submitted_case(owner=user)

    reviewer_client.post(
        transition_url(case, Status.REJECTED),
        {"expected_status": "submitted", "note": "投诉对象不在受理范围内"},
    )

    assert status_of(case) == Status.REJECTED
    detail = en_owner.get(case.get_absolute_url()).content.decode()
    assert "投诉对象不在受理范围内" in detail


def test_messages_and_internal_notes_from_the_case_page(
    reviewer_client, user, en_owner, mailoutbox, django_capture_on_commit_callbacks
):
    case = submitted_case(owner=user)
    user.email = "owner@example.com"
    user.save()
    url = reverse("admin:complaints_complaint_message", args=[case.pk])

    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(url, {"body": "请确认押金金额"})
        reviewer_client.post(
            url, {"body": "内部：与第12号案件同一代理商", "internal": "on"}
        )
    empty = reviewer_client.post(url, {"body": ""}, follow=True)

    assert "Write a message." in empty.content.decode()
    assert list(
        Message.objects.filter(complaint=case).values_list("body", "internal")
    ) == [("请确认押金金额", False), ("内部：与第12号案件同一代理商", True)]
    detail = en_owner.get(case.get_absolute_url()).content.decode()
    assert "请确认押金金额" in detail
    assert "同一代理商" not in detail
    assert len(mailoutbox) == 1  # the message, never the note
    assert "同一代理商" not in mailoutbox[0].body
    listing = en_owner.get(reverse("complaints:list")).content.decode()
    assert "同一代理商" not in listing
    page = reviewer_client.get(change_url(case)).content.decode()
    assert "同一代理商" in page


def test_internal_status_rows_appear_in_the_admin_timeline_only(
    reviewer_client, reviewer, en_owner, user
):
    case = submitted_case(owner=user)
    StatusChange.objects.create(
        complaint=case,
        from_status="submitted",
        to_status="submitted",
        actor=reviewer,
        note="内部复核记录",
        visible_to_user=False,
    )

    assert "内部复核记录" in reviewer_client.get(change_url(case)).content.decode()
    assert "内部复核记录" not in en_owner.get(case.get_absolute_url()).content.decode()


# --- 4. Bulk actions ---------------------------------------------------------------


def act(client, action, cases, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [c.pk for c in cases], **extra},
        follow=True,
    )


def test_assign_to_me_as_an_action(reviewer_client, reviewer):
    cases = [submitted_case(), submitted_case()]

    response = act(reviewer_client, "assign_to_me", cases)

    assert "2 cases done" in response.content.decode()
    assert set(
        Complaint.objects.filter(pk__in=[c.pk for c in cases]).values_list(
            "assignee", flat=True
        )
    ) == {reviewer.pk}


def test_accept_as_an_action_reports_each_success_and_refusal(
    reviewer_client, reviewer
):
    in_review = submitted_case()
    workflow.transition(in_review, target=Status.IN_REVIEW, actor=reviewer)
    submitted = submitted_case()

    response = act(reviewer_client, "accept", [in_review, submitted])

    page = response.content.decode()
    assert f"1 case done: {in_review.number}" in page
    assert f"Refused, {submitted.number}: This action is not possible" in page
    assert status_of(in_review) == Status.ACCEPTED
    assert status_of(submitted) == Status.SUBMITTED


def test_close_as_an_action(reviewer_client, reviewer):
    case = submitted_case()
    case = advance(case, reviewer, Status.IN_REVIEW, Status.ACCEPTED)
    advance(
        case, reviewer, Status.RESOLVED, outcome="none", amount_recovered=Decimal(0)
    )

    act(reviewer_client, "close", [case])

    assert status_of(case) == Status.CLOSED


@pytest.mark.parametrize(
    "action, target, data",
    [
        ("request_information", Status.NEEDS_INFO, {"note": "请补充合同"}),
        ("reject", Status.REJECTED, {"note": "重复投诉"}),
    ],
)
def test_note_actions_ask_for_the_note_first(reviewer_client, action, target, data):
    cases = [submitted_case(), submitted_case()]

    step = act(reviewer_client, action, cases)
    assert step.templates[0].name == "admin/complaints/complaint/action_note.html"
    assert all(status_of(c) == Status.SUBMITTED for c in cases)
    blank = act(reviewer_client, action, cases, apply="1", note="")
    assert blank.context["form"].errors["note"]
    assert all(status_of(c) == Status.SUBMITTED for c in cases)

    done = act(reviewer_client, action, cases, apply="1", **data)

    assert "2 cases done" in done.content.decode()
    for case in cases:
        assert status_of(case) == target
        assert (
            StatusChange.objects.get(complaint=case, to_status=target).note
            == (data["note"])
        )


def test_record_resolution_as_an_action(reviewer_client, reviewer):
    case = submitted_case()
    case = advance(case, reviewer, Status.IN_REVIEW, Status.ACCEPTED)
    untouched = submitted_case()

    response = act(
        reviewer_client,
        "record_resolution",
        [case, untouched],
        apply="1",
        outcome="partial",
        amount_recovered="300",
        note="部分退款",
    )

    page = response.content.decode()
    assert f"1 case done: {case.number}" in page
    assert f"Refused, {untouched.number}" in page
    case.refresh_from_db()
    assert (case.status, case.amount_recovered) == (Status.RESOLVED, Decimal("300"))


def test_staff_without_review_permission_see_no_actions_or_buttons(client):
    case = submitted_case()
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    client.force_login(staff)

    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert listed_numbers(listing) == [case.number]
    assert listing.context["action_form"] is None
    assert 'data-testid="export-csv"' not in listing.content.decode()
    page = client.get(change_url(case)).content.decode()
    assert 'data-testid="transition-' not in page
    assert 'data-testid="assign-to-me"' not in page
    assert (
        client.post(
            transition_url(case, Status.IN_REVIEW), {"expected_status": "submitted"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:complaints_complaint_assign", args=[case.pk])
        ).status_code
        == 403
    )
    assert client.get(EXPORT).status_code == 403
    act(client, "accept", [case])
    assert status_of(case) == Status.SUBMITTED


# --- 5. What reviewers cannot do ---------------------------------------------------


def test_a_reviewer_cannot_delete_cases(reviewer_client):
    case = submitted_case()

    listing = reviewer_client.get(CHANGELIST)
    actions = [
        name for name, _label in listing.context["action_form"].fields["action"].choices
    ]
    delete = reviewer_client.post(
        reverse("admin:complaints_complaint_delete", args=[case.pk]), {"post": "yes"}
    )
    bulk = act(reviewer_client, "delete_selected", [case], post="yes")

    assert "delete_selected" not in actions
    assert delete.status_code == 403
    assert bulk.status_code == 200
    assert Complaint.objects.filter(pk=case.pk).exists()


def test_a_reviewer_cannot_change_a_case_through_the_admin_form(reviewer_client):
    case = submitted_case()

    response = reviewer_client.post(
        change_url(case), {"status": "closed", "narrative": "改写", "_save": "Save"}
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_the_timeline_has_no_admin_of_its_own_and_its_inline_is_read_only(
    reviewer_client,
):
    case = submitted_case()
    for name in ("changelist", "add"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:complaints_statuschange_{name}")

    response = reviewer_client.get(change_url(case))

    (timeline,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.opts.model is StatusChange
    ]
    assert not timeline.has_add_permission
    assert not timeline.has_change_permission
    assert not timeline.has_delete_permission


@pytest.mark.parametrize(
    "model, make",
    [
        (Institution, InstitutionFactory),
        (Brand, lambda: BrandFactory(name="测试品牌")),
        ("channel", None),
    ],
)
def test_a_reviewer_cannot_edit_reference_data(reviewer_client, model, make):
    if model == "channel":
        from complaints.models import Channel

        obj = Channel.objects.first()
        name = "channel"
    else:
        obj = make()
        name = model._meta.model_name
    url = reverse(f"admin:complaints_{name}_change", args=[obj.pk])

    assert reviewer_client.get(url).status_code == 200  # read only
    assert reviewer_client.post(url, {"name": "改名"}).status_code == 403
    assert (
        reviewer_client.get(reverse(f"admin:complaints_{name}_add")).status_code == 403
    )
    assert (
        reviewer_client.post(
            reverse(f"admin:complaints_{name}_delete", args=[obj.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_a_non_staff_user_gets_no_admin(owner_client, user):
    case = submitted_case(owner=user)

    for url in (
        CHANGELIST,
        change_url(case),
        transition_url(case, Status.IN_REVIEW),
        reverse("admin:complaints_complaint_message", args=[case.pk]),
        reverse("admin:complaints_complaint_assign", args=[case.pk]),
        EXPORT,
    ):
        response = owner_client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    owner_client.post(
        transition_url(case, Status.IN_REVIEW), {"expected_status": "submitted"}
    )
    assert status_of(case) == Status.SUBMITTED


def test_staff_outside_the_group_see_no_cases(client):
    case = submitted_case()
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(case)).status_code == 403
    assert client.get(EXPORT).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert CHANGELIST not in index


def test_an_inactive_reviewer_sees_nothing(client):
    case = submitted_case()
    former = make_reviewer()
    client.force_login(former)
    former.is_active = False
    former.save()

    response = client.get(change_url(case))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_queue_follows_the_access_module(monkeypatch, reviewer_client, reviewer):
    visible, hidden = submitted_case(), submitted_case()
    monkeypatch.setattr(
        "complaints.access.visible_complaints",
        lambda user: Complaint.objects.filter(pk=visible.pk),
    )

    assert listed_numbers(reviewer_client.get(CHANGELIST)) == [visible.number]
    assert reviewer_client.get(change_url(hidden)).status_code == 302


# --- 6. CSV export -----------------------------------------------------------------


def read_csv(response):
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_export_link_respects_filters_and_search(reviewer_client, reviewer):
    in_review = submitted_case()
    workflow.transition(in_review, target=Status.IN_REVIEW, actor=reviewer)
    submitted_case()

    listing = reviewer_client.get(CHANGELIST, {"status__exact": "in_review"})
    assert f"{EXPORT}?status__exact=in_review" in listing.content.decode()
    response = reviewer_client.get(EXPORT, {"status__exact": "in_review"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    assert rows[0][:2] == ["Case number", "Status"]
    assert [r[0] for r in rows[1:]] == [in_review.number]
    searched = read_csv(reviewer_client.get(EXPORT, {"q": in_review.terminal_sn}))
    assert [r[0] for r in searched[1:]] == [in_review.number]


def test_the_export_has_no_personal_data_messages_or_notes(reviewer_client, reviewer):
    case = submitted_case(
        losses=[Decimal("1234.50")],
        complainant_name="李四",
        agent_phone="13700001111",
    )
    services.message_post(actor=reviewer, complaint=case, body="消息正文")
    services.message_post(
        actor=reviewer, complaint=case, body="内部备注", internal=True
    )
    Complaint.objects.filter(pk=case.pk).update(
        submitted_at=timezone.now() - timedelta(days=3)
    )
    StatusChange.objects.filter(complaint=case).update(
        created_at=timezone.now() - timedelta(days=3)
    )

    rows = read_csv(reviewer_client.get(EXPORT))

    text = "\n".join(",".join(r) for r in rows)
    for secret in (
        case.id_number,
        case.contact_phone,
        "13700001111",
        "李四",
        case.owner.phone,
        "消息正文",
        "内部备注",
        case.address,
    ):
        assert secret not in text
    header, row = rows
    assert len(header) == 12
    record = dict(zip(header, row, strict=True))
    assert record["Case number"] == case.number
    assert record["Total claimed (CNY)"] == "1234.50"
    assert record["Institution"] == case.respondent_display
    assert record["Days waiting"] == "3"
    assert record["Status"] == "Submitted"


def test_the_export_in_chinese_opens_in_excel(reviewer):
    case = submitted_case()
    client = client_for(reviewer, language="zh-hans")

    response = client.get(EXPORT)
    body = b"".join(response.streaming_content)

    assert body.startswith(b"\xef\xbb\xbf")
    assert case.respondent_display.encode("utf-8") in body
    # Labels are in the reader's language, even though the body streams later.
    assert "已提交".encode() in body


def test_export_selected_as_an_action(reviewer_client):
    chosen, other = submitted_case(), submitted_case()

    response = reviewer_client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [chosen.pk]}
    )

    numbers = [r[0] for r in read_csv(response)[1:]]
    assert numbers == [chosen.number]
    assert other.number not in numbers


def test_formula_cells_are_neutralised_in_the_export(reviewer_client):
    case = submitted_case(respondent_institution=None, respondent_name="=HYPERLINK(1)")

    rows = read_csv(reviewer_client.get(EXPORT))

    assert rows[1][4] == "'=HYPERLINK(1)"
    assert rows[1][0] == case.number


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+86 138", "'+86 138"),
        ("-1+2", "'-1+2"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("某某支付", "某某支付"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
        (Decimal("-5.00"), "'-5.00"),
    ],
)
def test_neutralise(value, cell):
    assert exports.neutralise(value) == cell


def test_the_case_page_issues_the_same_queries_however_long_its_history(
    reviewer_client, reviewer
):
    def grow(case, count):
        for _index in range(count):
            LossItemFactory(complaint=case)
            add_evidence(case)
            services.message_post(actor=reviewer, complaint=case, body="消息")
            services.message_post(
                actor=reviewer, complaint=case, body="备注", internal=True
            )

    def measure(case):
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_client.get(change_url(case)).status_code == 200
        return len(queries)

    short, long = submitted_case(), submitted_case()
    grow(short, 1)
    grow(long, 12)
    # Same shape otherwise (an assignee costs one query, whatever the history).
    short = advance(short, reviewer, Status.IN_REVIEW, Status.ACCEPTED)
    long = advance(long, reviewer, Status.IN_REVIEW, Status.ACCEPTED)
    reviewer_client.get(change_url(short))  # warm the per-process caches

    assert measure(short) == measure(long)
