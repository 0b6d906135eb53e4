"""Letters in the admin: the read-only list of stored versions, the download
of one version (byte for byte) or of several in a zip, the versions on the
case page, the "Export letters (zip)" action on cases, and who may do what."""

import hashlib
import io
import itertools
import zipfile
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from complaints import workflow
from complaints.letters import issue
from complaints.models import Channel, Complaint, Letter, Status, letter_storage
from tests.factories import ComplaintFactory, LossItemFactory, UserFactory
from tests.reviewers import client_for, make_reviewer

pytestmark = pytest.mark.django_db

LETTERS = reverse("admin:complaints_letter_changelist")
CASES = reverse("admin:complaints_complaint_changelist")
_fake_pdf = itertools.count()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reviewer():
    return make_reviewer()


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


def submitted_case(owner=None, **kwargs):
    """A submitted case with one loss: complete for the institution channel
    (complainant, phone, respondent, terminal, deactivation date, narrative,
    claims, losses) but without the respondent's address or evidence."""
    if owner is not None:
        kwargs["owner"] = owner
    complaint = ComplaintFactory(**kwargs)
    LossItemFactory(complaint=complaint, amount=Decimal("1234.50"))
    return workflow.transition(
        complaint, target=Status.SUBMITTED, actor=complaint.owner
    )


def channel(code):
    return Channel.objects.get(code=code)


def stored_letter(complaint, code="institution", language="zh-hans", version=1):
    """A Letter row with a small stored file (no rendering: fast)."""
    data = f"%PDF-1.7\n% fake letter {next(_fake_pdf)}\n%%EOF\n".encode()
    name = letter_storage().save(f"test-{next(_fake_pdf)}.pdf", ContentFile(data))
    return Letter.objects.create(
        complaint=complaint,
        channel=channel(code),
        language=language,
        version=version,
        file=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        fingerprint="0" * 64,
    )


def download_url(letter):
    return reverse("admin:complaints_letter_download", args=[letter.public_id])


def body_of(response):
    return b"".join(response.streaming_content)


def open_zip(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="letters-')
    assert response["Content-Disposition"].endswith('.zip"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "no-store" in response["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(body_of(response)))


def pdf_members(archive):
    return sorted(n for n in archive.namelist() if n.endswith(".pdf"))


def check_sums(archive):
    """Every PDF is listed in SHA256SUMS with the hash of its bytes."""
    sums = {}
    for line in archive.read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    assert sorted(sums) == pdf_members(archive)
    for name, digest in sums.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    return sums


def only_channels(*codes):
    """Keep these channels active, so that what is ready does not depend on
    which letter templates exist yet."""
    Channel.objects.exclude(code__in=codes).update(is_active=False)


def letter_action(client, action, objects, url=LETTERS, **extra):
    return client.post(
        url,
        {"action": action, "_selected_action": [o.pk for o in objects], **extra},
    )


# --- The list and the download ------------------------------------------------


def test_a_reviewer_sees_the_letter_list(reviewer_client, reviewer):
    case = submitted_case()
    letter = stored_letter(case)
    letter_en = stored_letter(case, language="en")
    other = stored_letter(submitted_case(), code="pboc")

    response = reviewer_client.get(LETTERS)

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {letter, letter_en, other}
    page = response.content.decode()
    case_url = reverse("admin:complaints_complaint_change", args=[case.pk])
    assert f'<a href="{case_url}">{case.number}</a>' in page
    assert download_url(letter) in page
    assert letter.sha256[:12] in page
    assert "English" in page
    # Filters and search.
    by_channel = reviewer_client.get(LETTERS, {"channel__id__exact": other.channel_id})
    assert list(by_channel.context["cl"].result_list) == [other]
    by_language = reviewer_client.get(LETTERS, {"language": "en"})
    assert list(by_language.context["cl"].result_list) == [letter_en]
    found = reviewer_client.get(LETTERS, {"q": case.number})
    assert set(found.context["cl"].result_list) == {letter, letter_en}


def test_a_reviewer_downloads_a_letter_byte_for_byte(reviewer_client, reviewer):
    case = submitted_case()
    only_channels("institution")
    letter, created = issue.letter_issue(
        actor=reviewer,
        complaint=case,
        channel=channel("institution"),
        language="zh-hans",
    )
    assert created

    response = reviewer_client.get(download_url(letter))

    assert response.status_code == 200
    data = body_of(response)
    assert data == issue.letter_bytes(letter)
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == letter.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{case.number}-institution-zh-hans-v1.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "no-store" in response["Cache-Control"]


def test_an_unknown_letter_is_not_found(reviewer_client):
    url = reverse(
        "admin:complaints_letter_download",
        args=["00000000-0000-0000-0000-000000000000"],
    )
    assert reviewer_client.get(url).status_code == 404


def test_staff_without_view_letter_cannot_list_or_download(client):
    letter = stored_letter(submitted_case())
    staff = make_reviewer(without=("view_letter",))
    client.force_login(staff)

    assert client.get(LETTERS).status_code == 403
    assert client.get(download_url(letter)).status_code == 403
    assert LETTERS not in client.get(reverse("admin:index")).content.decode()
    # Nor on the case page.
    page = client.get(
        reverse("admin:complaints_complaint_change", args=[letter.complaint_id])
    )
    assert page.status_code == 200
    assert download_url(letter) not in page.content.decode()


def test_an_ordinary_user_cannot_reach_the_admin_download(owner_client, user):
    letter = stored_letter(submitted_case(owner=user))

    for url in (download_url(letter), LETTERS):
        response = owner_client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login"))


def test_staff_see_only_letters_of_the_cases_access_lets_them_see(client):
    """view_letter alone (no reviewer) shows the letters of one's own cases."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_letter"))
    own = stored_letter(submitted_case(owner=staff))
    others = stored_letter(submitted_case())
    client.force_login(staff)

    assert list(client.get(LETTERS).context["cl"].result_list) == [own]
    assert client.get(download_url(own)).status_code == 200
    assert client.get(download_url(others)).status_code == 404


def test_letters_are_read_only_in_the_admin(reviewer_client):
    letter = stored_letter(submitted_case())
    change = reverse("admin:complaints_letter_change", args=[letter.pk])

    assert (
        reviewer_client.get(reverse("admin:complaints_letter_add")).status_code == 403
    )
    page = reviewer_client.get(change)
    assert page.status_code == 200
    assert letter.sha256 in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert reviewer_client.post(change, {"version": 9}).status_code == 403
    delete = reverse("admin:complaints_letter_delete", args=[letter.pk])
    assert reviewer_client.post(delete, {"post": "yes"}).status_code == 403
    assert Letter.objects.get(pk=letter.pk).version == 1
    # The only action is the zip (no "delete selected").
    listing = reviewer_client.get(LETTERS)
    choices = [
        value
        for value, _label in listing.context["action_form"].fields["action"].choices
    ]
    assert choices == ["", "download_zip"]


def test_the_case_page_lists_the_letter_versions(reviewer_client):
    case = submitted_case()
    v1 = stored_letter(case)
    v2 = stored_letter(case, version=2)

    page = reviewer_client.get(
        reverse("admin:complaints_complaint_change", args=[case.pk])
    ).content.decode()

    assert "Letters (stored versions)" in page
    assert download_url(v1) in page
    assert download_url(v2) in page
    assert page.index(download_url(v2)) < page.index(download_url(v1))


def test_the_zip_action_holds_the_selected_letters_with_their_hashes(
    reviewer_client,
):
    first, second = submitted_case(), submitted_case()
    letters = [
        stored_letter(first),
        stored_letter(first, version=2),
        stored_letter(second, code="pboc", language="en"),
    ]
    not_selected = stored_letter(second)

    archive = open_zip(letter_action(reviewer_client, "download_zip", letters))

    assert pdf_members(archive) == sorted(
        f"{letter.complaint.number}/{letter.file_name}" for letter in letters
    )
    sums = check_sums(archive)
    for letter in letters:
        name = f"{letter.complaint.number}/{letter.file_name}"
        assert sums[name] == letter.sha256
        assert archive.read(name) == issue.letter_bytes(letter)
    assert not_selected.file_name not in "".join(archive.namelist())
    readme = archive.read("README.txt").decode()
    assert letters[0].sha256 in readme
    assert "WARNING" not in readme


def test_the_zip_warns_about_a_stored_file_that_no_longer_matches(reviewer_client):
    letter = stored_letter(submitted_case())
    storage = letter_storage()
    storage.delete(letter.file.name)
    storage.save(letter.file.name, ContentFile(b"%PDF-1.7 tampered"))

    archive = open_zip(letter_action(reviewer_client, "download_zip", [letter]))

    name = f"{letter.complaint.number}/{letter.file_name}"
    readme = archive.read("README.txt").decode()
    assert f"{letter.sha256}  {name}" in readme
    assert "WARNING: the stored file does not match the SHA-256 recorded" in readme
    assert hashlib.sha256(b"%PDF-1.7 tampered").hexdigest() in readme
    # SHA256SUMS keeps the recorded hash, so `sha256sum -c` reports the file.
    assert archive.read("SHA256SUMS").decode() == f"{letter.sha256}  {name}\n"
    assert archive.read(name) == b"%PDF-1.7 tampered"


def test_the_zip_action_has_a_limit(reviewer_client, settings):
    settings.LETTER_ZIP_MAX_LETTERS = 2
    case = submitted_case()
    letters = [stored_letter(case, version=v) for v in (1, 2, 3)]

    response = letter_action(reviewer_client, "download_zip", letters)

    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["At most 2 letters can go in one zip: select fewer."]


def test_the_letter_list_query_count_does_not_grow(reviewer_client):
    cases = [submitted_case() for _ in range(3)]

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = reviewer_client.get(LETTERS)
        assert response.status_code == 200
        return len(queries), len(response.context["cl"].result_list)

    for n in range(3):
        stored_letter(cases[n], version=n + 1)
    measure()
    few = measure()
    for n in range(3, 30):
        stored_letter(cases[n % 3], code="pboc", version=n + 1)
    many = measure()

    assert few[1] == 3 and many[1] == 30
    assert few[0] == many[0]


# --- Export letters of cases --------------------------------------------------


def test_export_issues_letters_for_ready_channels_and_reuses_them(
    reviewer_client, reviewer
):
    # institution: ready; samr-12315: lacks the respondent's address;
    # nfra-12378: only for banks.
    only_channels("institution", "samr-12315", "nfra-12378")
    first, second = submitted_case(), submitted_case()

    response = letter_action(
        reviewer_client, "export_letters", [first, second], url=CASES
    )

    archive = open_zip(response)
    letters = list(Letter.objects.select_related("complaint", "channel"))
    assert len(letters) == 2
    assert {
        (x.complaint_id, x.channel.code, x.language, x.created_by_id) for x in letters
    } == {
        (first.pk, "institution", "zh-hans", reviewer.pk),
        (second.pk, "institution", "zh-hans", reviewer.pk),
    }
    names = pdf_members(archive)
    assert names == sorted(
        [
            f"{first.number}/{first.number}-institution-zh-hans-v1.pdf",
            f"{second.number}/{second.number}-institution-zh-hans-v1.pdf",
        ]
    )
    sums = check_sums(archive)
    for letter in letters:
        name = f"{letter.complaint.number}/{letter.file_name}"
        assert sums[name] == letter.sha256
        assert archive.read(name) == issue.letter_bytes(letter)
    readme = archive.read("README.txt").decode()
    assert "Files (2):" in readme
    assert "Left out (4):" in readme
    assert (
        f"{first.number} / Market regulation 12315 (complaint): not ready, facts are "
        "missing." in readme
    )
    assert "the payment institution's address" in readme
    assert (
        f"{first.number} / National Financial Regulatory Administration 12378: not available"
        in readme
    )

    # The same facts: the same stored versions, no new rows.
    again = open_zip(
        letter_action(reviewer_client, "export_letters", [first, second], url=CASES)
    )
    assert Letter.objects.count() == 2
    assert check_sums(again) == sums


def test_export_makes_a_new_version_when_the_facts_changed(reviewer_client, reviewer):
    only_channels("institution")
    case = submitted_case()
    letter_action(reviewer_client, "export_letters", [case], url=CASES)
    LossItemFactory(complaint=case, amount=Decimal("99.00"))

    archive = open_zip(
        letter_action(reviewer_client, "export_letters", [case], url=CASES)
    )

    assert list(
        Letter.objects.filter(complaint=case)
        .values_list("version", flat=True)
        .order_by("version")
    ) == [1, 2]
    assert pdf_members(archive) == [
        f"{case.number}/{case.number}-institution-zh-hans-v2.pdf"
    ]


def test_export_skips_drafts_and_lists_them_in_the_readme(reviewer):
    only_channels("institution")
    case = submitted_case()
    draft = ComplaintFactory()
    LossItemFactory(complaint=draft)
    model_admin = admin.site._registry[Complaint]
    request = RequestFactory().post(CASES)
    request.user = reviewer
    request.LANGUAGE_CODE = "en"

    with translation.override("en"):
        response = model_admin.export_letters(
            request, Complaint.objects.filter(pk__in=[case.pk, draft.pk])
        )
        archive = open_zip(response)

    assert pdf_members(archive) == [
        f"{case.number}/{case.number}-institution-zh-hans-v1.pdf"
    ]
    readme = archive.read("README.txt").decode()
    assert (
        f"{draft.number}: a draft: letters are made once the owner has submitted"
        in readme
    )
    assert not Letter.objects.filter(complaint=draft).exists()


def test_drafts_cannot_even_be_selected_for_export(reviewer_client):
    only_channels("institution")
    draft = ComplaintFactory()
    LossItemFactory(complaint=draft)

    response = letter_action(reviewer_client, "export_letters", [draft], url=CASES)

    # The queue has no drafts: nothing is selected, no zip, no letter.
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["None of the selected cases is in the list."]
    assert not Letter.objects.exists()


def test_export_lists_a_channel_whose_template_is_missing(reviewer_client):
    only_channels("institution", "pcac")
    Channel.objects.filter(code="pcac").update(letter_template="letters/no-such.html")
    case = submitted_case()

    archive = open_zip(
        letter_action(reviewer_client, "export_letters", [case], url=CASES)
    )

    assert len(pdf_members(archive)) == 1
    readme = archive.read("README.txt").decode()
    assert "the letter template letters/no-such.html does not exist" in readme
    assert not Letter.objects.filter(channel__code="pcac").exists()


def test_export_refuses_more_cases_than_the_limit(reviewer_client, settings):
    settings.LETTER_EXPORT_MAX_CASES = 2
    only_channels("institution")
    cases = [submitted_case() for _ in range(3)]

    response = letter_action(reviewer_client, "export_letters", cases, url=CASES)

    assert response.status_code == 302
    assert "Content-Disposition" not in response
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        "Letters can be exported for at most 2 cases at a time: select fewer cases."
    ]
    assert not Letter.objects.exists()
    # Within the limit it works.
    assert (
        letter_action(
            reviewer_client, "export_letters", cases[:2], url=CASES
        ).status_code
        == 200
    )


@pytest.mark.parametrize("missing", ["add_letter", "view_letter"])
def test_the_export_action_needs_both_letter_permissions(client, missing):
    only_channels("institution")
    case = submitted_case()
    client.force_login(make_reviewer(without=(missing,)))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    listing = client.get(CASES)
    choices = [v for v, _l in listing.context["action_form"].fields["action"].choices]
    assert "export_csv" in choices
    assert "export_letters" not in choices
    response = letter_action(client, "export_letters", [case], url=CASES)
    assert response.status_code == 302
    assert not Letter.objects.exists()


def test_the_export_action_is_offered_to_reviewers(reviewer_client):
    submitted_case()
    listing = reviewer_client.get(CASES)
    labels = dict(listing.context["action_form"].fields["action"].choices)
    assert labels["export_letters"] == "Export letters (zip)"


@pytest.mark.django_db
def test_reviewer_lists_add_no_semi_join_over_every_case(reviewer_client):
    """A reviewer sees every case: the letter, evidence and filing lists do
    not filter through a subquery of all cases (it would scan them all)."""
    stored_letter(submitted_case())
    for url in (
        reverse("admin:complaints_letter_changelist"),
        reverse("admin:complaints_evidence_changelist"),
        reverse("admin:complaints_filing_changelist"),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_client.get(url).status_code == 200
        semi_joins = [
            q["sql"]
            for q in queries.captured_queries
            if "IN (SELECT" in q["sql"].upper() and "complaints_complaint" in q["sql"]
        ]
        assert semi_joins == [], url


@pytest.mark.django_db
def test_staff_who_are_not_reviewers_see_only_their_own_cases_letters(client):
    """Staff holding only view_letter (not a reviewer) see their own cases'
    letters and nobody else's."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_letter"))
    own = stored_letter(submitted_case(owner=staff))
    other = stored_letter(submitted_case())
    client.force_login(staff)

    page = client.get(reverse("admin:complaints_letter_changelist")).content.decode()

    assert own.complaint.number in page
    assert other.complaint.number not in page
