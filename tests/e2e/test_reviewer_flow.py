"""End to end, two browsers: a reviewer in the admin assigns a submitted case
and asks for information; the user sees the banner, replies and resubmits;
the reviewer starts the review again and accepts; the user sees "已受理".

The admin runs at desktop width only, in English (Accept-Language); the user's
pages stay in Chinese, the default.
"""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from complaints import workflow
from complaints.models import Complaint, Message, Status, StatusChange
from tests.e2e.conftest import ARTIFACTS
from tests.factories import ComplaintFactory, LossItemFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"
REVIEWER_CODENAMES = [
    "view_complaint",
    "view_lossitem",
    "view_statuschange",
    "view_evidence",
    "change_evidence",
    "review_complaint",
    "view_message",
    "add_message",
]


def _reviewer():
    # A transactional test elsewhere may have flushed the migration's group.
    group, _created = Group.objects.get_or_create(name="Reviewers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="complaints", codename__in=REVIEWER_CODENAMES
        )
    )
    user = UserFactory(is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def open_page(browser, live_server):
    """Pages in fresh desktop-width contexts; console errors fail the test."""
    contexts, problems = [], []

    def open_(locale):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            locale=locale,
            base_url=live_server.url,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: problems.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not problems, f"browser console errors: {problems}"


def _screenshot(page, label):
    """Full-page screenshot under test-artifacts/ (for people to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / f"reviewer_flow-desktop-{label}.png"), full_page=True
    )


def test_reviewer_requests_information_then_accepts(open_page):
    owner = UserFactory()
    complaint = ComplaintFactory(owner=owner)
    LossItemFactory(complaint=complaint)
    complaint = workflow.transition(complaint, target=Status.SUBMITTED, actor=owner)
    reviewer = _reviewer()

    # The reviewer logs in to the admin and finds the case in the queue.
    admin = open_page("en-US")
    admin.goto("/admin/")
    admin.fill("#id_username", reviewer.username)
    admin.fill("#id_password", PASSWORD)
    admin.locator("#login-form input[type=submit]").click()
    admin.goto("/admin/complaints/complaint/")
    _screenshot(admin, "queue")
    admin.locator("#result_list").get_by_role("link", name=complaint.number).click()
    expect(admin).to_have_url(
        re.compile(rf"/admin/complaints/complaint/{complaint.pk}/")
    )

    # Assign to me, then request information with a message.
    admin.click("[data-testid=assign-to-me]")
    expect(admin.locator("[data-testid=assign-to-me]")).to_have_count(0)
    admin.click("[data-testid=transition-needs_info]")
    admin.fill("#id_note", "请上传停机通知的截图。")
    _screenshot(admin, "request-information")
    admin.click("[data-testid=transition-confirm]")
    expect(admin).to_have_url(
        re.compile(rf"/admin/complaints/complaint/{complaint.pk}/")
    )
    expect(admin.locator("[data-testid=transition-closed]")).to_be_visible()
    assert Complaint.objects.get(pk=complaint.pk).assignee == reviewer

    # The user sees the banner, replies in the timeline and resubmits.
    site = open_page("zh-CN")
    site.goto("/accounts/login/")
    site.fill("#id_username", owner.phone)
    site.fill("#id_password", PASSWORD)
    site.locator("main form button[type=submit]").click()
    expect(site).to_have_url(re.compile(r"/cases/$"))
    site.goto(complaint.get_absolute_url())
    expect(site.locator("[data-testid=needs-info-banner]")).to_contain_text(
        "请上传停机通知的截图。"
    )
    site.fill("#timeline textarea[name=body]", "截图已上传，请查收。")
    site.locator("#timeline form button[type=submit]").click()
    expect(site.locator("[data-testid=timeline]")).to_contain_text(
        "截图已上传，请查收。"
    )
    site.click("[data-testid=transition-submitted]")
    expect(site.locator("[data-testid=status]")).to_have_text("已提交")

    # The reviewer reads the reply, starts the review again and accepts.
    admin.reload()
    expect(admin.locator("body")).to_contain_text("截图已上传，请查收。")
    _screenshot(admin, "case")
    admin.click("[data-testid=transition-in_review]")
    admin.click("[data-testid=transition-confirm]")
    admin.click("[data-testid=transition-accepted]")
    admin.click("[data-testid=transition-confirm]")
    expect(admin.locator("[data-testid=transition-resolved]")).to_be_visible()

    site.reload()
    expect(site.locator("[data-testid=status]")).to_have_text("已受理")
    assert list(
        StatusChange.objects.filter(complaint=complaint).values_list(
            "to_status", flat=True
        )
    ) == ["submitted", "needs_info", "submitted", "in_review", "accepted"]
    assert Message.objects.filter(complaint=complaint, author=owner).count() == 1
