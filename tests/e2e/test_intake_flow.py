"""End to end: sign up, create a draft with two loss rows, submit, and see
the case in "my cases" with the right total."""

import re

import pytest
from playwright.sync_api import expect

from complaints.models import Complaint, Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_up_file_and_submit_a_case(page, screenshot):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot("home")

    # Sign up with a mobile number typed the way people do on phones.
    page.goto("/accounts/signup/")
    page.fill("#id_identifier", "+86 139-0000-1234")
    page.fill("#id_password1", "pos-refund-2026!")
    page.fill("#id_password2", "pos-refund-2026!")
    screenshot("signup")
    page.locator("form:has(#id_identifier) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/$"))

    # A new draft, saved with one loss row.
    page.goto("/cases/new/")
    page.select_option("#id_complainant_type", "individual")
    page.fill("#id_complainant_name", "王小明")
    page.fill("#id_id_number", "11010519491231002X")
    page.fill("#id_contact_phone", "13900001234")
    page.select_option("#id_province", "GD")
    page.fill("#id_city", "深圳市南山区")
    page.fill("#id_address", "深圳市南山区科技园示例路8号")
    page.fill("#id_respondent_name", "某某支付科技有限公司")
    page.fill("#id_terminal_sn", "wsp12345678")
    page.fill("#id_merchant_number", "８３１２９０１５７２２０００１")
    page.fill("#id_activated_on", "2024-05-01")
    page.fill("#id_deactivated_on", "2025-08-15")
    page.fill("#id_harm_known_on", "2025-08-16")
    page.fill(
        "#id_narrative",
        "2025年8月15日起机器无法刷卡，APP显示终端已停用，当天两笔交易的结算款至今未到账。",
    )
    page.check("input[name=claims][value=release_funds]")
    page.check("input[name=claims][value=refund_deposit]")
    page.select_option("#id_losses-0-category", "frozen_funds")
    page.fill("#id_losses-0-amount", "12,345.67")

    # A second row, added in the browser without a reload.
    page.click("[data-add-loss]")
    page.select_option("#id_losses-1-category", "deposit")
    page.fill("#id_losses-1-amount", "２９９")
    page.click("button[name=save]")
    expect(page.locator("[data-testid=status]")).to_have_text("草稿")
    expect(page.locator("[data-testid=missing-list]")).to_contain_text("同意")

    # Back to the form: consent, then save and submit.
    page.click("a[href$='/edit/']")
    expect(page.locator("#id_losses-1-amount")).to_have_value("299.00")
    page.check("#id_consent_processing")
    page.check("#id_consent_sensitive")
    screenshot("form")
    page.click("button[name=submit]")
    expect(page.locator("[data-testid=status]")).to_have_text("已提交")
    expect(page.locator("[data-testid=loss-total]")).to_have_text("12,644.67")
    expect(page.locator("[data-testid=id-number]")).to_have_text("1101**********002X")
    screenshot("detail")

    # "My cases" lists it with the total.
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():  # phone width: open the menu first
        toggler.click()
    page.click("nav >> text=我的案件")
    row = page.locator("[data-testid=complaint-list] tbody tr").first
    number = Complaint.objects.get().number
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("已提交")
    expect(row.locator("[data-testid=total]")).to_have_text("12,644.67")
    screenshot("list")

    complaint = Complaint.objects.get()
    assert complaint.status == Status.SUBMITTED
    assert complaint.merchant_number == "831290157220001"
    assert complaint.terminal_sn == "WSP12345678"
    assert complaint.loss_items.count() == 2
