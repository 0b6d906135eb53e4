"""End to end: attach evidence to a draft from the browser (with and without
JavaScript), see it listed, download it and check its SHA-256."""

import hashlib
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from complaints.models import Evidence
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


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


def _photo(path: Path) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 110, 190)).save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _pdf(path: Path) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(buffer, "PDF")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _log_in(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.phone)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/$"))


def test_upload_photo_and_pdf_with_progress_then_download(
    page, screenshot, evidence_root, tmp_path
):
    user = UserFactory()
    complaint = ComplaintFactory(owner=user)
    photo = _photo(tmp_path / "停机通知.jpg")
    pdf = _pdf(tmp_path / "bank-statement.pdf")
    _log_in(page, user)

    page.goto(complaint.get_absolute_url())
    page.click("text=上传证据")
    # The script shows the multi-file picker once it is ready.
    expect(page.locator("[data-js-uploader]")).to_be_visible()
    page.set_input_files(
        "#evidence-picker",
        [str(tmp_path / "停机通知.jpg"), str(tmp_path / "bank-statement.pdf")],
    )
    rows = page.locator("[data-row]")
    expect(rows).to_have_count(2)
    rows.nth(0).locator("[data-kind]").select_option("notice")
    rows.nth(0).locator("[data-purpose]").fill("证明终端于8月15日被停用")
    rows.nth(1).locator("[data-kind]").select_option("statement")
    rows.nth(1).locator("[data-original]").select_option("0")
    rows.nth(1).locator("[data-purpose]").fill("证明结算款未到账")
    screenshot("picked")
    page.click("[data-start]")

    expect(page).to_have_url(re.compile(r"#evidence$"))
    items = page.locator("[data-testid=evidence-item]")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("停机通知.jpg")
    expect(items.nth(0)).to_contain_text(hashlib.sha256(photo).hexdigest()[:12])
    expect(items.nth(1)).to_contain_text("bank-statement.pdf")
    expect(items.nth(1)).to_contain_text("复印件")
    # The photo's preview is served through the access-checked view.
    expect(items.nth(0).locator("img.evidence-thumb")).to_have_js_property(
        "complete", True
    )
    assert (
        items.nth(0).locator("img.evidence-thumb").evaluate("i => i.naturalWidth") > 0
    )
    screenshot("listed")

    with page.expect_download() as info:
        items.nth(1).locator("[data-testid=evidence-download]").click()
    download = info.value
    assert download.suggested_filename == "bank-statement.pdf"
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == (
        hashlib.sha256(pdf).hexdigest()
    )
    stored = Evidence.objects.get(original_name="bank-statement.pdf")
    assert stored.sha256 == hashlib.sha256(pdf).hexdigest()
    assert stored.is_original is False


def test_a_refused_file_can_be_retried_without_losing_the_others(
    page, evidence_root, tmp_path
):
    user = UserFactory()
    complaint = ComplaintFactory(owner=user)
    _photo(tmp_path / "receipt.jpg")
    (tmp_path / "page.jpg").write_bytes(
        b"<!DOCTYPE html><html><script>alert(1)</script>"
    )
    # The refused file is answered 400, which the browser logs.
    page.expected_console_errors.append("status of 400")
    _log_in(page, user)
    page.goto(f"/cases/{complaint.public_id}/evidence/")
    expect(page.locator("[data-js-uploader]")).to_be_visible()
    page.set_input_files(
        "#evidence-picker", [str(tmp_path / "receipt.jpg"), str(tmp_path / "page.jpg")]
    )
    rows = page.locator("[data-row]")
    for i in range(2):
        rows.nth(i).locator("[data-kind]").select_option("receipt")
        rows.nth(i).locator("[data-purpose]").fill("小票显示商户编号")
    page.click("[data-start]")
    expect(rows.nth(0).locator("[data-status]")).to_have_text("已上传")
    expect(rows.nth(1).locator("[data-error]")).to_contain_text("JPEG")
    expect(rows.nth(1).locator("[data-retry]")).to_be_visible()
    # What was typed in the failed row is still there.
    expect(rows.nth(1).locator("[data-purpose]")).to_have_value("小票显示商户编号")
    assert list(Evidence.objects.values_list("original_name", flat=True)) == [
        "receipt.jpg"
    ]


def test_upload_works_without_javascript(browser, live_server, evidence_root, tmp_path):
    user = UserFactory()
    complaint = ComplaintFactory(owner=user)
    photo = _photo(tmp_path / "contract.jpg")
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    try:
        _log_in(page, user)
        page.goto(f"/cases/{complaint.public_id}/evidence/")
        page.set_input_files("#id_evidence-0-file", str(tmp_path / "contract.jpg"))
        page.select_option("#id_evidence-0-kind", "contract")
        page.fill("#id_evidence-0-purpose", "证明押金条款")
        page.locator("[data-nojs-rows] button[type=submit]").click()
        expect(page.locator("[data-testid=evidence-item]")).to_contain_text(
            "contract.jpg"
        )
        assert Evidence.objects.get().sha256 == hashlib.sha256(photo).hexdigest()
    finally:
        context.close()
