"""End to end: the owner of an accepted case records that the demand letter
went to the institution by post; the case page then shows the due date, the
days left and the case as filed. A second filing, to 12315 weeks ago, shows
as overdue with the next bodies to turn to."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints import clocks
from complaints.models import Channel, Filing, Status
from tests.factories import ComplaintFactory, LossItemFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def _log_in(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.phone)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/$"))


def _record(page, *, sent_on: datetime.date, method: str, reference: str):
    page.fill("#id_sent_on", sent_on.isoformat())
    page.select_option("#id_method", method)
    page.fill("#id_reference", reference)
    page.get_by_test_id("filing-save").click()
    expect(page).to_have_url(re.compile(r"#filings$"))


@pytest.mark.browser
def test_record_a_filing_and_see_the_due_date_and_countdown(page, screenshot):
    user = UserFactory()
    user.set_password(PASSWORD)
    user.save()
    complaint = ComplaintFactory(owner=user, status=Status.ACCEPTED)
    LossItemFactory(complaint=complaint)
    today = timezone.localdate()
    sent_on = today - datetime.timedelta(days=3)
    due = clocks.add_calendar_days(sent_on, 15).due  # the demand's 15 days
    days_left = (due - today).days

    _log_in(page, user)
    page.goto(complaint.get_absolute_url())
    page.get_by_test_id("sent-institution").click()
    institution = Channel.objects.get(code="institution")
    expect(page.locator("#id_channel")).to_have_value(str(institution.pk))
    _record(page, sent_on=sent_on, method="post", reference="EMS9800000001CN")

    filing = page.get_by_test_id("filing").first
    expect(filing).to_contain_text("EMS9800000001CN")
    expect(filing.get_by_test_id("filing-due").first).to_contain_text(
        f"{due.year}年{due.month}月{due.day}日"
    )
    expect(filing.get_by_test_id("filing-countdown")).to_have_text(
        f"还剩 {days_left} 天"
    )
    expect(page.get_by_test_id("status")).to_have_text("已递交")
    screenshot("filed")

    # A complaint sent to 12315 forty days ago and never accepted is overdue.
    page.get_by_test_id("filing-new").click()
    page.select_option("#id_channel", label="市场监督管理部门 12315（投诉）")
    old = today - datetime.timedelta(days=40)
    _record(page, sent_on=old, method="online", reference="12315-0001")
    due_12315 = clocks.add_working_days(old, 7).due
    overdue = page.locator('[data-testid="filing"][data-channel="samr-12315"]')
    expect(overdue.get_by_test_id("filing-overdue")).to_have_text(
        f"已逾期 {(today - due_12315).days} 天"
    )
    expect(overdue.get_by_test_id("next-steps")).to_be_visible()
    screenshot("overdue")

    assert Filing.objects.filter(complaint=complaint).count() == 2
