"""The letter pages through the test client: the preview with the plan's
reasons and what is missing, the draft PDF of a draft case (watermarked, not
stored), final versions (stored, byte for byte, a new version only when the
facts change), refusals with messages, languages, owner isolation and the
query budget."""

import datetime
import hashlib
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.letters import context as letter_context
from complaints.letters import issue as letter_issue
from complaints.letters import render
from complaints.models import Complaint, Letter, LossItem, letter_storage
from tests.factories import InstitutionFactory, UserFactory
from tests.letter_factories import (
    COMMISSION,
    TOTAL_CAPITALS,
    EvidenceRowFactory,
    channel,
    letter_ready_complaint,
    pdf_text,
    squash,
    submit,
)

pytestmark = pytest.mark.django_db

# Session and user (2); the case with its losses and evidence (3); the
# channel and the active channels for the plan (2); the stored versions
# (1); the session save on every request (update in a savepoint: 3).
PREVIEW_BUDGET = 11


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def case(user):
    """A draft with every fact every letter needs, owned by `user`."""
    return letter_ready_complaint(owner=user)


@pytest.fixture
def submitted(user):
    """A submitted case with every fact every letter needs."""
    return submit(letter_ready_complaint(owner=user))


def preview_url(complaint, code="institution", lang=None):
    url = reverse("complaints:letter_preview", args=[complaint.public_id, code])
    return f"{url}?lang={lang}" if lang else url


def draft_url(complaint, code="institution", lang=None):
    url = reverse("complaints:letter_draft_pdf", args=[complaint.public_id, code])
    return f"{url}?lang={lang}" if lang else url


def issue_url(complaint, code="institution"):
    return reverse("complaints:letter_issue", args=[complaint.public_id, code])


def download_url(complaint, letter):
    return reverse(
        "complaints:letter_download", args=[complaint.public_id, letter.public_id]
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def stored_files() -> list[str]:
    storage = letter_storage()
    try:
        return sorted(storage.listdir("")[1])
    except FileNotFoundError:
        return []


def issue(client, complaint, code="institution", lang="zh-hans"):
    return client.post(issue_url(complaint, code), {"lang": lang})


# --- The preview ------------------------------------------------------------------


def test_owner_sees_the_preview_with_the_plan_reasons(owner_client, case):
    response = owner_client.get(preview_url(case))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="letter-preview"' in html
    assert 'data-testid="letter-reasons"' in html
    assert "《非银行支付机构监督管理条例》第三十五条" in html
    assert case.number in html
    assert '<article class="letter letter-institution' in html
    assert 'data-testid="letter-missing"' not in html
    # A draft case offers the watermarked draft PDF, not a final version.
    assert draft_url(case) in html.replace("&amp;", "&")
    assert issue_url(case) not in html


def test_a_submitted_case_offers_the_final_pdf(owner_client, submitted):
    html = owner_client.get(preview_url(submitted)).content.decode()

    assert f'action="{issue_url(submitted)}"' in html
    assert draft_url(submitted) not in html


def test_the_preview_of_a_draft_is_marked_draft_and_a_submitted_one_is_not(
    owner_client, case, user
):
    other = submit(letter_ready_complaint(owner=user))

    assert "is-draft" in owner_client.get(preview_url(case)).content.decode()
    assert "is-draft" not in owner_client.get(preview_url(other)).content.decode()


def test_the_case_page_lists_the_plan_with_previews_for_usable_channels(
    owner_client, case
):
    response = owner_client.get(case.get_absolute_url())

    html = response.content.decode()
    assert 'data-testid="channel-plan"' in html
    assert 'data-testid="plan-institution" data-status="suggested"' in html
    assert 'data-testid="plan-nfra-12378" data-status="excluded"' in html
    assert preview_url(case, "institution") in html
    assert preview_url(case, "nfra-12378") not in html


def test_preview_query_count_is_bounded(owner_client, user):
    few = letter_ready_complaint(owner=user, evidence=1)
    many = letter_ready_complaint(
        owner=user,
        evidence=30,
        losses=[
            (LossItem.Category.FEES, Decimal("10.00"), f"费用{n}") for n in range(30)
        ],
    )
    owner_client.get(preview_url(few))  # warm the session

    counts = []
    for complaint in (few, many):
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(preview_url(complaint)).status_code == 200
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1], "queries grow with the losses or evidence"
    assert counts[1] <= PREVIEW_BUDGET


def test_preview_of_an_unknown_or_inactive_channel_is_404(owner_client, case):
    from complaints.models import Channel

    Channel.objects.filter(code="pboc").update(is_active=False)

    assert owner_client.get(preview_url(case, "no-such-body")).status_code == 404
    assert owner_client.get(preview_url(case, "pboc")).status_code == 404
    assert owner_client.get(draft_url(case, "pboc")).status_code == 404


# --- Languages --------------------------------------------------------------------


def test_lang_en_renders_the_english_reference(owner_client, case):
    response = owner_client.get(preview_url(case, lang="en"))

    html = response.content.decode()
    assert response.context["language"] == "en"
    assert '<article class="letter letter-institution' in html
    assert 'lang="en"' in html
    assert "Letter of demand" in html
    assert 'data-testid="letter-lang-en"' in html


@pytest.mark.parametrize("lang", ["", "fr", "zh", "../../etc/passwd", "EN"])
def test_an_unknown_lang_falls_back_to_chinese(owner_client, case, lang):
    response = owner_client.get(preview_url(case) + f"?lang={lang}")

    assert response.status_code == 200
    assert response.context["language"] == "zh-hans"
    assert '<article class="letter letter-institution' in response.content.decode()


def test_the_chinese_preview_is_in_chinese(owner_client, case):
    html = owner_client.get(preview_url(case)).content.decode()

    assert 'lang="zh-hans"' in html
    assert "催告函" in html


def test_draft_pdf_follows_the_language(owner_client, case):
    response = owner_client.get(draft_url(case, lang="en"))

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Letter of demand" in text
    assert "Page 1 of" in text


# --- Draft PDFs ----------------------------------------------------------------------


def test_draft_case_gets_a_watermarked_draft_pdf_and_nothing_is_stored(
    owner_client, case
):
    response = owner_client.get(draft_url(case))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert (
        f"{case.number}-institution-zh-hans-draft.pdf"
        in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert not Letter.objects.exists()
    assert stored_files() == []
    flat = squash(pdf_text(response.content))
    assert case.number in flat
    assert TOTAL_CAPITALS in flat
    assert "草稿" in flat


def test_a_submitted_case_has_no_draft_pdf(owner_client, submitted):
    response = owner_client.get(draft_url(submitted))

    assert response.status_code == 302
    assert response.url == preview_url(submitted)
    assert [level for level, _m in messages_of(response)] == ["info"]
    assert not Letter.objects.exists()


def test_a_draft_case_gets_no_final_letter(owner_client, case):
    response = issue(owner_client, case)

    assert response.status_code == 302
    assert response.url == preview_url(case)
    assert [level for level, _m in messages_of(response)] == ["error"]
    assert not Letter.objects.exists()
    assert stored_files() == []


# --- Final letters: stored versions -------------------------------------------------


def test_issuing_stores_version_1_and_redirects_to_its_download(
    owner_client, submitted, user
):
    response = issue(owner_client, submitted)

    letter = Letter.objects.get()
    assert response.status_code == 302
    assert response.url == download_url(submitted, letter)
    assert (letter.version, letter.language, letter.channel.code) == (
        1,
        "zh-hans",
        "institution",
    )
    assert letter.created_by == user
    # The redirect is a download, which shows no message: none is queued
    # to surface later on an unrelated page.
    assert messages_of(response) == []
    assert stored_files() == [letter.file.name]


def test_a_stored_version_downloads_byte_for_byte(owner_client, submitted):
    issue(owner_client, submitted)
    letter = Letter.objects.get()

    first = owner_client.get(download_url(submitted, letter))
    second = owner_client.get(download_url(submitted, letter))

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert hashlib.sha256(first.content).hexdigest() == letter.sha256
    assert len(first.content) == letter.size
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"].startswith("attachment")
    assert (
        f"{submitted.number}-institution-zh-hans-v1.pdf" in first["Content-Disposition"]
    )
    assert first["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in first["Cache-Control"]
    flat = squash(pdf_text(first.content))
    assert submitted.number in flat
    assert "草稿" not in flat
    assert "DRAFT" not in flat


def test_letter_files_are_served_in_a_sandbox(owner_client, submitted, case):
    """Security checklist D 29: a stored file carries its own sandboxing CSP."""
    issue(owner_client, submitted)
    letter = Letter.objects.get()

    for response in (
        owner_client.get(download_url(submitted, letter)),
        owner_client.get(draft_url(case)),
    ):
        assert response.status_code == 200
        csp = [d.strip() for d in response["Content-Security-Policy"].split(";")]
        assert "sandbox" in csp
        assert "default-src 'none'" in csp


def test_issuing_again_with_the_same_facts_gives_the_same_version(
    owner_client, submitted, monkeypatch
):
    first = issue(owner_client, submitted)
    letter = Letter.objects.get()
    original = owner_client.get(first.url).content
    # A day later: the letter's date would differ, its facts do not.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(
        letter_context, "timezone", SimpleNamespace(localdate=lambda: tomorrow)
    )

    again = issue(owner_client, submitted)

    assert again.status_code == 302
    assert again.url == first.url
    assert Letter.objects.count() == 1
    assert owner_client.get(again.url).content == original
    assert Letter.objects.get().sha256 == letter.sha256


def test_a_changed_fact_makes_version_2_and_version_1_stays_as_it_was(
    owner_client, submitted
):
    issue(owner_client, submitted)
    v1 = Letter.objects.get()
    v1_bytes = owner_client.get(download_url(submitted, v1)).content
    # What a reviewer-requested edit does to the row.
    Complaint.objects.filter(pk=submitted.pk).update(
        narrative="补充：客服承认机器被批量停用，但拒绝说明原因，也拒绝退还押金。"
    )

    response = issue(owner_client, submitted)

    v2 = Letter.objects.get(version=2)
    assert response.url == download_url(submitted, v2)
    assert v2.fingerprint != v1.fingerprint
    assert Letter.objects.count() == 2
    assert owner_client.get(download_url(submitted, v1)).content == v1_bytes
    v2_bytes = owner_client.get(download_url(submitted, v2)).content
    assert v2_bytes != v1_bytes
    assert "客服承认机器被批量停用" in squash(pdf_text(v2_bytes))
    assert "客服承认机器被批量停用" not in squash(pdf_text(v1_bytes))
    assert len(set(stored_files())) == 2


def test_a_changed_loss_amount_makes_a_new_version(owner_client, submitted):
    issue(owner_client, submitted)
    LossItem.objects.filter(complaint=submitted, amount=Decimal("0.07")).update(
        amount=Decimal("0.08")
    )

    issue(owner_client, submitted)

    assert sorted(Letter.objects.values_list("version", flat=True)) == [1, 2]


def test_each_language_and_channel_has_its_own_versions(owner_client, submitted):
    issue(owner_client, submitted, lang="zh-hans")
    issue(owner_client, submitted, lang="en")
    issue(owner_client, submitted, code="court")

    rows = set(Letter.objects.values_list("channel__code", "language", "version"))
    assert rows == {
        ("institution", "zh-hans", 1),
        ("institution", "en", 1),
        ("court", "zh-hans", 1),
    }


def test_the_preview_lists_the_stored_versions(owner_client, submitted):
    issue(owner_client, submitted)
    letter = Letter.objects.get()

    html = owner_client.get(preview_url(submitted)).content.decode()

    assert 'data-testid="letter-versions"' in html
    assert download_url(submitted, letter) in html
    assert letter.sha256[:16] in html


def test_letter_rows_cannot_be_saved_twice(owner_client, submitted):
    issue(owner_client, submitted)
    letter = Letter.objects.get()
    letter.version = 99

    with pytest.raises(ValueError):
        letter.save()

    assert Letter.objects.get().version == 1


def test_issue_needs_a_csrf_token(user, submitted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(issue_url(submitted), {"lang": "zh-hans"})

    assert response.status_code == 403
    assert not Letter.objects.exists()


def test_issue_and_downloads_answer_only_their_methods(owner_client, submitted):
    issue(owner_client, submitted)
    letter = Letter.objects.get()

    assert owner_client.get(issue_url(submitted)).status_code == 405
    assert owner_client.post(download_url(submitted, letter)).status_code == 405
    assert Letter.objects.count() == 1


# --- Refusals ------------------------------------------------------------------------


def test_an_excluded_channel_has_no_letter_and_refuses_with_a_message(
    owner_client, user
):
    enterprise = submit(
        letter_ready_complaint(owner=user, complainant_type="enterprise")
    )

    preview = owner_client.get(preview_url(enterprise, "pboc"))
    refused = issue(owner_client, enterprise, "pboc")

    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'data-testid="letter-unavailable"' in html
    assert 'data-testid="letter-preview"' not in html
    assert "企业不适用" in html  # the reason
    assert refused.status_code == 302
    assert refused.url == preview_url(enterprise, "pboc")
    levels = [level for level, _m in messages_of(refused)]
    assert levels[0] == "error"
    assert "企业不适用" in " ".join(m for _l, m in messages_of(refused))
    assert not Letter.objects.exists()


def test_an_excluded_channel_has_no_draft_pdf_either(owner_client, user):
    draft = letter_ready_complaint(owner=user, complainant_type="enterprise")

    response = owner_client.get(draft_url(draft, "samr-12315"))

    assert response.status_code == 302
    assert response.url == preview_url(draft, "samr-12315")
    assert messages_of(response)[0][0] == "error"
    assert "暂行办法第三条" in " ".join(m for _l, m in messages_of(response))


def test_missing_facts_are_listed_with_links_to_the_fields(owner_client, user):
    institution = InstitutionFactory(address="")
    draft = letter_ready_complaint(
        owner=user,
        respondent_institution=institution,
        respondent_address="",
        evidence=0,
    )

    response = owner_client.get(preview_url(draft, "court"))

    html = response.content.decode()
    assert 'data-testid="letter-missing"' in html
    edit = reverse("complaints:edit", args=[draft.public_id])
    upload = reverse("complaints:evidence_upload", args=[draft.public_id])
    assert f'href="{edit}#div_id_respondent_address"' in html
    assert f'href="{upload}"' in html
    assert "《中华人民共和国民事诉讼法》第一百二十四条" in html
    assert 'data-testid="letter-pdf"' not in html


def test_12315_missing_facts_cite_article_9(owner_client, user):
    institution = InstitutionFactory(address="")
    draft = letter_ready_complaint(
        owner=user, respondent_institution=institution, respondent_address=""
    )

    html = owner_client.get(preview_url(draft, "samr-12315")).content.decode()

    edit = reverse("complaints:edit", args=[draft.public_id])
    assert f'href="{edit}#div_id_respondent_address"' in html
    assert "《市场监督管理投诉举报处理暂行办法》第九条" in html


def test_a_draft_pdf_with_missing_facts_is_refused_with_the_missing_facts(
    owner_client, user
):
    draft = letter_ready_complaint(owner=user, respondent_address="", evidence=0)

    response = owner_client.get(draft_url(draft, "court"))

    assert response.status_code == 302
    assert response.url == preview_url(draft, "court")
    found = messages_of(response)
    assert found[0][0] == "error"
    warnings = [m for level, m in found if level == "warning"]
    assert len(warnings) == 2  # the address and the evidence
    assert all("第一百二十四条" in m for m in warnings)
    assert stored_files() == []


def test_a_submitted_case_with_missing_facts_is_refused_and_not_linked(
    owner_client, user
):
    """After submission the user cannot edit: the preview says what is
    missing without links to a form that would refuse them, and the final
    letter is refused with the missing facts."""
    complaint = submit(letter_ready_complaint(owner=user, respondent_address=""))

    preview = owner_client.get(preview_url(complaint, "samr-12315"))
    refused = issue(owner_client, complaint, "samr-12315")

    html = preview.content.decode()
    assert 'data-testid="letter-missing"' in html
    assert "#div_id_respondent_address" not in html
    assert refused.status_code == 302
    assert any("第九条" in m for level, m in messages_of(refused) if level == "warning")
    assert not Letter.objects.exists()


def test_arbitration_is_available_once_the_commission_is_entered(owner_client, user):
    without = letter_ready_complaint(owner=user)
    with_clause = letter_ready_complaint(owner=user, arbitration_commission=COMMISSION)

    unavailable = owner_client.get(preview_url(without, "arbitration"))
    available = owner_client.get(preview_url(with_clause, "arbitration"))

    assert 'data-testid="letter-unavailable"' in unavailable.content.decode()
    assert 'data-testid="letter-preview"' in available.content.decode()
    assert COMMISSION in available.content.decode()


# --- Characters the PDF cannot print ----------------------------------------------------


def test_the_preview_warns_about_a_character_no_font_can_print(
    owner_client, user, monkeypatch
):
    monkeypatch.setattr(render, "installed_font_has", lambda char: False)
    draft = letter_ready_complaint(owner=user, complainant_name="吉𠮷")

    html = owner_client.get(preview_url(draft)).content.decode()

    assert 'data-testid="letter-unprintable"' in html
    warning = html.split('data-testid="letter-unprintable"')[1].split("</div>")[0]
    assert "𠮷" in warning
    assert 'data-testid="letter-fallback"' not in html


def test_the_preview_notes_a_character_printed_in_another_font(
    owner_client, user, monkeypatch
):
    monkeypatch.setattr(render, "installed_font_has", lambda char: True)
    draft = letter_ready_complaint(owner=user, complainant_name="吉𠮷")

    html = owner_client.get(preview_url(draft)).content.decode()

    assert 'data-testid="letter-fallback"' in html
    assert 'data-testid="letter-unprintable"' not in html


def test_no_glyph_warning_for_common_name_characters(owner_client, user, monkeypatch):
    monkeypatch.setattr(render, "installed_font_has", lambda char: False)
    draft = letter_ready_complaint(owner=user, complainant_name="王堃喆珺昇")

    html = owner_client.get(preview_url(draft)).content.decode()

    assert "王堃喆珺昇" in html
    assert 'data-testid="letter-unprintable"' not in html
    assert 'data-testid="letter-fallback"' not in html


# --- Owner isolation ------------------------------------------------------------------


def test_another_user_gets_404_for_every_letter_page(
    client, other_user, owner_client, submitted
):
    issue(owner_client, submitted)
    letter = Letter.objects.get()
    before = stored_files()
    client.force_login(other_user)

    answers = {
        "preview": client.get(preview_url(submitted)),
        "draft": client.get(draft_url(submitted)),
        "issue": client.post(issue_url(submitted), {"lang": "zh-hans"}),
        "download": client.get(download_url(submitted, letter)),
    }

    for name, response in answers.items():
        assert response.status_code == 404, name
        assert submitted.number not in response.content.decode(), name
    assert Letter.objects.count() == 1
    assert stored_files() == before


def test_another_users_draft_pdf_is_404(client, other_user, case):
    client.force_login(other_user)

    assert client.get(draft_url(case)).status_code == 404
    assert client.get(preview_url(case, "court")).status_code == 404


def test_a_letter_of_another_case_is_404_even_for_its_owner(owner_client, user):
    first = submit(letter_ready_complaint(owner=user))
    second = submit(letter_ready_complaint(owner=user))
    issue(owner_client, second)
    letter = Letter.objects.get()

    response = owner_client.get(download_url(first, letter))

    assert response.status_code == 404
    assert owner_client.get(download_url(second, letter)).status_code == 200


def test_a_reviewer_is_refused_the_owners_letter_pages(client, owner_client, submitted):
    from django.contrib.auth.models import Permission

    issue(owner_client, submitted)
    letter = Letter.objects.get()
    reviewer = UserFactory(is_staff=True)
    reviewer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_complaint", "add_letter", "view_letter"]
        )
    )
    client.force_login(reviewer)

    assert client.get(preview_url(submitted)).status_code == 404
    assert client.post(issue_url(submitted)).status_code == 404
    assert client.get(download_url(submitted, letter)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, submitted):
    for url in (preview_url(submitted), draft_url(submitted)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response.url
    assert client.post(issue_url(submitted)).status_code == 302
    assert not Letter.objects.exists()


def test_evidence_rows_in_letters_never_open_files(owner_client, user):
    """The letter lists evidence from its rows: a row whose file is gone
    still lists (the file is the evidence page's business)."""
    draft = letter_ready_complaint(owner=user, evidence=0)
    item = EvidenceRowFactory(complaint=draft, file="does/not/exist.png")

    response = owner_client.get(draft_url(draft))

    assert response.status_code == 200
    assert item.sha256 in squash(pdf_text(response.content))


# --- Concurrency (PostgreSQL) ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_store_one_version():
    from tests.conftest import ensure_seeded

    ensure_seeded()
    owner = UserFactory()
    complaint = submit(letter_ready_complaint(owner=owner))
    institution = channel("institution")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            close_old_connections()
            barrier.wait(timeout=10)
            results.append(
                letter_issue.letter_issue(
                    actor=owner,
                    complaint=complaint,
                    channel=institution,
                    language="zh-hans",
                )
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Letter.objects.count() == 1
    letters = {letter.pk for letter, _created in results}
    assert len(letters) == 1
    assert sorted(created for _letter, created in results) == [False, True]
    assert len(stored_files()) == 1
