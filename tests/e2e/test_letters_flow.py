"""End to end: a complete draft shows its channel plan; the institution
letter is previewed (Chinese and English), downloaded as a draft PDF marked
草稿; after submitting, the same button stores a final version (no 草稿),
which the case page then lists."""

import datetime
import hashlib
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect
from pypdf import PdfReader

from complaints.models import Complaint, Evidence, Institution, Letter, Status
from tests.factories import (
    ComplaintFactory,
    InstitutionFactory,
    LossItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"
TOTAL = "12,345.67"


@pytest.fixture
def evidence_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    return tmp_path / "evidence"


def _log_in(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.phone)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/$"))


def _complete_draft(user) -> Complaint:
    """A draft with every fact the institution letter needs."""
    institution = InstitutionFactory(
        name="上海示例支付服务有限公司",
        kind=Institution.Kind.PAYMENT_INSTITUTION,
        licence_number="Z2099931000019",
        province="SH",
        city="浦东新区",
        address="上海市浦东新区世纪大道1000号18层",
        hotline="400-000-0000",
    )
    complaint = ComplaintFactory(
        owner=user,
        respondent_institution=institution,
        terminal_sn="WSP2403018842",
        terminal_number="60312457",
        merchant_number="831290157220001",
        deposit_paid=Decimal("300.00"),
        deactivated_on=datetime.date(2025, 8, 15),
        harm_known_on=datetime.date(2025, 8, 16),
        deactivation_notice="app",
        narrative=(
            "2025年8月15日起机器无法刷卡，APP显示终端已停用，"
            "当天两笔交易的结算款至今未到账。\n"
            "多次拨打客服电话，只答复“等待审核”，押金也未退还。"
        ),
        claims=["release_funds", "refund_deposit", "explain"],
    )
    LossItemFactory(
        complaint=complaint,
        category="frozen_funds",
        amount=Decimal("12045.67"),
        occurred_on=datetime.date(2025, 8, 15),
        description="8月15日两笔交易的结算款",
        position=0,
    )
    LossItemFactory(
        complaint=complaint,
        category="deposit",
        amount=Decimal("300.00"),
        occurred_on=datetime.date(2024, 3, 1),
        description="办理机器时缴纳的押金",
        position=1,
    )
    content = b"%PDF-1.4\n% bank statement stand-in\n"
    item = Evidence(
        complaint=complaint,
        kind=Evidence.Kind.STATEMENT,
        purpose="证明8月15日的结算款未到账",
        is_original=False,
        original_name="银行卡流水_2025年8月.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
    )
    item.file.save("statement.pdf", ContentFile(content), save=False)
    item.save()
    return complaint


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _download_letter(page) -> tuple[bytes, str]:
    with page.expect_download() as info:
        page.locator("[data-testid=letter-pdf]").click()
    download = info.value
    assert download.failure() is None
    return Path(download.path()).read_bytes(), download.suggested_filename


# True when the element is cut off sideways: by a scrolling or clipping
# ancestor (a table wrapper with overflow-x) or by the viewport. Playwright's
# to_be_visible() does not look at that.
_CLIPPED_SIDEWAYS = """el => {
    const r = el.getBoundingClientRect();
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== "visible") {
            const b = a.getBoundingClientRect();
            if (r.left < b.left - 1 || r.right > b.right + 1) return true;
        }
    }
    return r.left < 0 || r.right > document.documentElement.clientWidth + 1;
}"""


def _on_screen(locator) -> bool:
    """Visible without scrolling anything sideways (the page may scroll down)."""
    expect(locator).to_be_visible()
    return not locator.evaluate(_CLIPPED_SIDEWAYS)


def _open_preview(page, complaint):
    page.goto(complaint.get_absolute_url())
    plan = page.locator("[data-testid=channel-plan]")
    expect(plan).to_be_visible()
    preview_link = page.locator("[data-testid=preview-institution]")
    preview_link.scroll_into_view_if_needed()
    preview_link.click()
    expect(page).to_have_url(re.compile(r"/letters/institution/"))
    expect(page.locator("[data-testid=letter-preview]")).to_be_visible()


def test_preview_draft_pdf_then_final_version(page, screenshot, evidence_root):
    user = UserFactory()
    complaint = _complete_draft(user)
    number = complaint.number
    _log_in(page, user)

    # The case page shows the plan, the institution first and usable.
    page.goto(complaint.get_absolute_url())
    plan = page.locator("[data-testid=channel-plan]")
    expect(plan).to_be_visible()
    expect(plan.locator("[data-testid=plan-institution]")).to_be_visible()
    expect(page.locator("[data-testid=preview-institution]")).to_be_visible()
    page.locator("#letters").scroll_into_view_if_needed()
    screenshot("case-plan")

    # The preview, in Chinese by default: the case number and the total are
    # on screen. Layout problems are collected and reported at the end, so
    # the rest of the flow still runs at this width.
    layout_problems = []
    _open_preview(page, complaint)
    preview = page.locator("[data-testid=letter-preview]")
    expect(preview).to_contain_text(number)
    expect(preview).to_contain_text(TOTAL)
    case_number = preview.locator(".letter-case-number")
    total = preview.locator(".letter-total .amount")
    expect(case_number).to_contain_text(number)
    expect(total).to_have_text(TOTAL)
    for label, locator in (("case number", case_number), ("total", total)):
        if not _on_screen(locator):
            layout_problems.append(
                f"{page.viewport_name}: the letter preview's {label} is cut off "
                "sideways (the reader has to scroll the table to see it)"
            )
    expect(page.locator("[data-testid=letter-missing]")).to_have_count(0)
    expect(page.locator("[data-testid=letter-lang-zh-hans]")).to_have_attribute(
        "aria-current", "true"
    )
    screenshot("preview-zh")

    # The English rendering, for reference, then back.
    page.locator("[data-testid=letter-lang-en]").click()
    expect(page).to_have_url(re.compile(r"\?lang=en$"))
    expect(page.locator("[data-testid=letter-lang-en]")).to_have_attribute(
        "aria-current", "true"
    )
    expect(preview).to_contain_text(number)
    expect(preview).to_contain_text(TOTAL)
    expect(preview.locator("[lang=en]").first).to_be_attached()
    screenshot("preview-en")
    page.locator("[data-testid=letter-lang-zh-hans]").click()
    expect(page).to_have_url(re.compile(r"\?lang=zh-hans$"))
    expect(page.locator("[data-testid=letter-lang-zh-hans]")).to_have_attribute(
        "aria-current", "true"
    )
    expect(preview).to_contain_text(number)

    # The draft PDF: a plain GET, watermarked, nothing stored.
    pdf, filename = _download_letter(page)
    assert pdf.startswith(b"%PDF-")
    assert filename == f"{number}-institution-zh-hans-draft.pdf"
    text = _pdf_text(pdf)
    assert number in text
    assert TOTAL in text
    assert "草稿" in text
    assert not Letter.objects.exists()

    # Submit the case from its page.
    page.goto(complaint.get_absolute_url())
    page.locator("[data-testid=transition-submitted]").click()
    expect(page.locator("[data-testid=status]")).to_have_text("已提交")
    complaint.refresh_from_db()
    assert complaint.status == Status.SUBMITTED

    # The final letter: POST, stored, redirected to the PDF.
    _open_preview(page, complaint)
    # Now a form (POST) rather than the draft link.
    expect(
        page.locator("form button[type=submit][data-testid=letter-pdf]")
    ).to_be_visible()
    pdf, filename = _download_letter(page)
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf)
    assert number in text
    assert TOTAL in text
    assert "草稿" not in text
    assert "DRAFT" not in text
    letter = Letter.objects.get()
    assert (letter.channel.code, letter.language, letter.version) == (
        "institution",
        "zh-hans",
        1,
    )
    assert letter.sha256 == hashlib.sha256(pdf).hexdigest()
    assert filename == f"{number}-institution-zh-hans-v1.pdf"

    # The preview and the case page list the stored version.
    page.reload()
    expect(page.locator("[data-testid=letter-versions]")).to_contain_text(
        letter.sha256[:12]
    )
    page.goto(complaint.get_absolute_url())
    versions = page.locator("#letters [data-testid=letter-versions]")
    expect(versions).to_be_visible()
    expect(versions.locator("tbody tr")).to_have_count(1)
    expect(versions).to_contain_text(letter.sha256[:12])
    page.locator("#letters").scroll_into_view_if_needed()
    screenshot("case-versions")

    # Downloading again gives the stored file byte for byte.
    with page.expect_download() as info:
        versions.locator("[data-testid=letter-download]").click()
    assert Path(info.value.path()).read_bytes() == pdf
    assert Letter.objects.count() == 1

    assert not layout_problems, layout_problems
