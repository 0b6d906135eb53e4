"""Evidence files: what is accepted and refused, how uploads are streamed,
hashed and stored, who may download them and their previews, deletion,
editing, review in the admin, and the query budget of the list.

Uploads go through the real views as multipart POSTs that this module
builds itself (the test client's encoder would strip path parts from the
file name before the server sees it). Requirements: DESIGN.md section 7,
security checklist section D (23–29, 31), issue 3.
"""

import hashlib
import io
import os
import re
import stat
import uuid
from html import escape
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from PIL import Image

from complaints import access, services, workflow
from complaints import evidence as ev
from complaints.access import Action
from complaints.evidence import HashingUploadHandler, inspect_upload, sanitize_name
from complaints.models import Complaint, Evidence, Status
from tests import evidence_samples as samples
from tests.factories import ComplaintFactory, LossItemFactory, UserFactory

MB = 1024 * 1024
# As configured, before the fixture below points it at a temporary directory.
CONFIGURED_STORAGE = django_settings.STORAGES["evidence"]
RANDOM_NAME_RE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{32}")
THUMBNAIL_NAME_RE = re.compile(r"thumbnails/[0-9a-f]{2}/[0-9a-f]{32}")
BOUNDARY = "casetracker-test-boundary-7MA4YWxkTrZu0gW"
PURPOSE = "证明机器于2025年6月1日被停用"

TYPE_MESSAGE = (
    "This type of file cannot be accepted. Allowed: JPEG, PNG, WebP, GIF, "
    "HEIC/HEIF, PDF, MP4/MOV, MP3, M4A, AMR, WAV, TXT, CSV, XLSX."
)
MESSAGES = {
    "type_not_allowed": TYPE_MESSAGE,
    "markup": "This file contains web page code (HTML or script) and cannot be accepted.",
    "empty": "The file is empty.",
    "too_large": "The file is too large (1.0 MB); the limit is 1 MB per file.",
    "broken_image": "The image could not be opened: it is damaged, incomplete or not really a",
    "too_many_pixels": "The image is too large (",
    "pdf_active_content": "This PDF contains scripts, embedded files or actions and cannot be accepted.",
    "xlsx_macros": "Spreadsheets with macros cannot be accepted.",
    "name_mismatch": "which does not match its name",
}


# --- fixtures and helpers ---------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path) -> Path:
    """Every test stores evidence in its own empty directory."""
    location = tmp_path / "evidence"
    samples.use_evidence_storage(settings, location)
    return location


@pytest.fixture
def en_client(owner_client):
    owner_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return owner_client


@pytest.fixture
def reviewer(db):
    """Staff in the Reviewers group: reads every case, reviews evidence."""
    group, _created = Group.objects.get_or_create(name="Reviewers")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="complaints",
            codename__in=["view_complaint", "view_evidence", "change_evidence"],
        )
    )
    user = UserFactory(is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def reviewer_client(reviewer):
    """A browser of its own, so that tests can use the owner's alongside."""
    client = Client()
    client.force_login(reviewer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def stored_files(root: Path) -> list[str]:
    """Every file under the evidence storage, as storage names."""
    if not root.exists():
        return []
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
    )


def multipart(fields=(), files=()) -> bytes:
    """A multipart/form-data body as a browser sends it.

    `fields` are (name, value) pairs; `files` are (field, filename,
    content type, bytes). The file name goes out exactly as given, UTF-8
    encoded, paths and odd characters included.
    """
    lines = []
    for key, value in fields:
        lines += [
            f"--{BOUNDARY}".encode(),
            f'Content-Disposition: form-data; name="{key}"'.encode(),
            b"",
            str(value).encode(),
        ]
    for key, filename, content_type, data in files:
        lines += [
            f"--{BOUNDARY}".encode(),
            f'Content-Disposition: form-data; name="{key}"; filename="'.encode()
            + filename.encode()
            + b'"',
            f"Content-Type: {content_type}".encode(),
            b"",
            data,
        ]
    lines += [f"--{BOUNDARY}--".encode(), b""]
    return b"\r\n".join(lines)


def post_multipart(client, url, fields=(), files=()):
    return client.post(
        url,
        data=multipart(fields, files),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def row(name, data, *, content_type="application/octet-stream", **fields):
    """One row of the upload form: a file with what the user says about it."""
    return {
        "name": name,
        "data": data,
        "content_type": content_type,
        "kind": fields.get("kind", "screenshot"),
        "purpose": fields.get("purpose", PURPOSE),
        "is_original": fields.get("is_original", "1"),
    }


def upload_form(client, complaint, rows, total=3):
    """POST the no-JavaScript form (the formset) with `rows`."""
    fields = [
        ("evidence-TOTAL_FORMS", total),
        ("evidence-INITIAL_FORMS", 0),
        ("evidence-MIN_NUM_FORMS", 0),
        ("evidence-MAX_NUM_FORMS", 3),
    ]
    files = []
    for index, r in enumerate(rows):
        fields += [
            (f"evidence-{index}-kind", r["kind"]),
            (f"evidence-{index}-purpose", r["purpose"]),
            (f"evidence-{index}-is_original", r["is_original"]),
        ]
        if r["data"] is not None:
            files.append(
                (f"evidence-{index}-file", r["name"], r["content_type"], r["data"])
            )
    url = reverse("complaints:evidence_upload", args=[complaint.public_id])
    return post_multipart(client, url, fields, files)


def upload_one(client, complaint, name, data, **kwargs):
    """POST one file to the JSON endpoint the page's script uses."""
    r = row(name, data, **kwargs)
    url = reverse("complaints:evidence_upload_one", args=[complaint.public_id])
    return post_multipart(
        client,
        url,
        [("kind", r["kind"]), ("purpose", r["purpose"]), ("is_original", "1")],
        [("file", name, r["content_type"], data)],
    )


def form_errors(response, index=0, field="file") -> list:
    form = response.context["formset"].forms[index]
    return form.errors.as_data().get(field, [])


def json_messages(response) -> list[str]:
    return [e["message"] for e in response.json()["errors"]["file"]]


def download_url(item):
    return reverse(
        "complaints:evidence_download", args=[item.complaint.public_id, item.public_id]
    )


def thumbnail_url(item):
    return reverse(
        "complaints:evidence_thumbnail", args=[item.complaint.public_id, item.public_id]
    )


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def submit(complaint):
    return workflow.transition(
        complaint,
        target=Status.SUBMITTED,
        actor=complaint.owner,
        expected_status=Status.DRAFT,
    )


def assert_stored_faithfully(item, data, name, content_type, root: Path):
    """The row describes the bytes, and the bytes are stored unchanged under a
    random name inside the evidence storage, not world-readable."""
    assert item.content_type == content_type
    assert item.size == len(data)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.original_name == name
    assert RANDOM_NAME_RE.fullmatch(item.file.name), item.file.name
    stem = Path(name).stem.lower()
    assert stem not in item.file.name.lower()
    path = root / item.file.name
    assert path.resolve().is_relative_to(root.resolve())
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert stored_files(root) == [item.file.name]


# --- 1. Each allowed type is accepted, stored byte for byte ----------------------


@pytest.mark.parametrize("sample", list(samples.ACCEPTED))
def test_each_allowed_type_uploads_through_the_form(
    en_client, user, complaint, evidence_dir, sample
):
    make, name, content_type = samples.ACCEPTED[sample]
    data = make()

    response = upload_form(
        en_client,
        complaint,
        # The browser's content type is never trusted; send a wrong one.
        [row(name, data, kind="contract", content_type="application/octet-stream")],
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == f"{complaint.get_absolute_url()}#evidence"
    item = Evidence.objects.get(complaint=complaint)
    assert_stored_faithfully(item, data, name, content_type, evidence_dir)
    assert item.uploaded_by == user
    assert item.kind == "contract"
    assert item.purpose == PURPOSE
    assert item.is_original is True
    assert item.verdict == Evidence.Verdict.PENDING

    page = en_client.get(complaint.get_absolute_url()).content.decode()
    with translation.override("en"):
        size = filesizeformat(len(data))
    listed = page[page.index('data-testid="evidence-list"') :]
    for shown in (
        escape(name),
        "Contract or agreement",
        escape(PURPOSE),
        size,
        item.sha256[:12],
        "Not reviewed yet",
        download_url(item),
    ):
        assert shown in listed, shown


@pytest.mark.parametrize("sample", list(samples.ACCEPTED))
def test_each_allowed_type_uploads_through_the_json_endpoint(
    en_client, complaint, evidence_dir, sample
):
    make, name, content_type = samples.ACCEPTED[sample]
    data = make()

    response = upload_one(en_client, complaint, name, data)

    assert response.status_code == 201, response.content
    item = Evidence.objects.get(complaint=complaint)
    assert response.json() == {
        "id": str(item.public_id),
        "name": name,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert_stored_faithfully(item, data, name, content_type, evidence_dir)


@pytest.mark.parametrize("sample", list(samples.ACCEPTED))
def test_inspect_upload_names_each_allowed_type(sample):
    make, name, content_type = samples.ACCEPTED[sample]
    data = make()

    result = inspect_upload(SimpleUploadedFile(name, data, "text/html"))

    assert result == ev.Inspection(
        content_type, name, len(data), hashlib.sha256(data).hexdigest()
    )


@pytest.mark.parametrize(
    ("name", "data", "shown"),
    [
        ("X.PnG", samples.png(), "X.PnG"),  # case of the extension is no trick
        ("IMG_0003", samples.jpeg(), "IMG_0003.jpg"),  # no extension: one is added
        ("IMG_0004.JPEG", samples.jpeg(), "IMG_0004.JPEG"),
        ("trailing.jpg...", samples.jpeg(), "trailing.jpg"),
        ("video.mp4", samples.mov(), "video.mp4"),  # iPhone .mp4 that is QuickTime
        ("export.txt", samples.csv_text(), "export.txt"),
        ("log.csv", samples.text_utf8(), "log.csv"),
        ("utf16.txt", "聊天记录\n".encode("utf-16"), "utf16.txt"),
    ],
)
def test_inspect_upload_accepts_honest_names_in_any_spelling(name, data, shown):
    assert inspect_upload(SimpleUploadedFile(name, data)).display_name == shown


def test_a_file_of_exactly_the_limit_is_accepted(settings, en_client, complaint):
    settings.EVIDENCE_MAX_FILE_BYTES = MB
    data = samples.oversize(MB)[:MB]

    response = upload_one(en_client, complaint, "export.txt", data)

    assert response.status_code == 201, response.content
    assert Evidence.objects.get().size == MB


# --- 2. Hostile files are refused, nothing is stored --------------------------------


def _low_pixel_png():
    return samples.png(size=(200, 200))  # 40,000 pixels, over the lowered cap of 20,000


REFUSED = [
    # id, make, upload name, content type the browser claims, error code
    ("html-renamed-jpg", samples.html, "invoice.jpg", "image/jpeg", "type_not_allowed"),
    ("html-renamed-txt", samples.html, "chat.txt", "text/plain", "type_not_allowed"),
    ("svg", samples.svg, "logo.svg", "image/svg+xml", "type_not_allowed"),
    ("svg-renamed-png", samples.svg, "logo.png", "image/png", "type_not_allowed"),
    (
        "png-html-polyglot-text-chunk",
        samples.png_html_polyglot_text_chunk,
        "screenshot.png",
        "image/png",
        "markup",
    ),
    (
        "png-html-polyglot-after-iend",
        samples.png_html_polyglot_appended,
        "screenshot.png",
        "image/png",
        "markup",
    ),
    ("zip", samples.zip_archive, "evidence.zip", "application/zip", "type_not_allowed"),
    (
        "zip-renamed-xlsx",
        samples.zip_archive,
        "statement.xlsx",
        "application/vnd.ms-excel",
        "type_not_allowed",
    ),
    ("empty", samples.empty, "empty.txt", "text/plain", "empty"),
    (
        "oversize",
        lambda: samples.oversize(MB),
        "recording.txt",
        "text/plain",
        "too_large",
    ),
    (
        "truncated-jpeg",
        samples.truncated_jpeg,
        "photo.jpg",
        "image/jpeg",
        "broken_image",
    ),
    ("truncated-png", samples.truncated_png, "photo.png", "image/png", "broken_image"),
    ("over-pixel-cap", _low_pixel_png, "big.png", "image/png", "too_many_pixels"),
    (
        "png-claiming-20000x20000",
        samples.png_huge_dimensions,
        "bomb.png",
        "image/png",
        "too_many_pixels",
    ),
    (
        "pdf-with-javascript",
        samples.pdf_with_javascript,
        "contract.pdf",
        "application/pdf",
        "pdf_active_content",
    ),
    (
        "xlsx-with-macros",
        samples.xlsx_with_macros,
        "statement.xlsx",
        "application/vnd.ms-excel",
        "xlsx_macros",
    ),
    (
        "elf",
        samples.elf_executable,
        "app.exe",
        "application/octet-stream",
        "type_not_allowed",
    ),
    (
        "elf-renamed-jpg",
        samples.elf_executable,
        "photo.jpg",
        "image/jpeg",
        "type_not_allowed",
    ),
    ("shell-script", samples.shell_script, "run.sh", "text/x-sh", "type_not_allowed"),
    (
        "shell-renamed-txt",
        samples.shell_script,
        "notes.txt",
        "text/plain",
        "type_not_allowed",
    ),
    ("jpeg-named-png", samples.jpeg, "photo.png", "image/png", "name_mismatch"),
    ("double-extension", samples.jpeg, "photo.jpg.html", "image/jpeg", "name_mismatch"),
    (
        "nul-escape-in-name",
        samples.jpeg,
        "photo.jpg%00.html",
        "image/jpeg",
        "name_mismatch",
    ),
    # Right-to-left override: shown as "invoiceexe.jpg". The parser drops the
    # override character; what is left names an .exe, not the JPEG it holds.
    (
        "bidi-override-name",
        samples.jpeg,
        "invoice\u202egpj.exe",
        "image/jpeg",
        "name_mismatch",
    ),
]
REFUSED_PARAMS = [pytest.param(*case[1:], id=case[0]) for case in REFUSED]


@pytest.fixture
def strict_limits(settings):
    """Limits low enough to reach in a test: 1 MB per file, 20,000 pixels."""
    settings.EVIDENCE_MAX_FILE_BYTES = MB
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 20_000


@pytest.mark.usefixtures("strict_limits")
@pytest.mark.parametrize(("make", "name", "content_type", "code"), REFUSED_PARAMS)
def test_form_refuses_a_hostile_file_and_still_stores_the_other_rows(
    en_client, complaint, evidence_dir, make, name, content_type, code
):
    good = samples.png()

    response = upload_form(
        en_client,
        complaint,
        [
            row(name, make(), content_type=content_type),
            row("notice.png", good, kind="notice"),
        ],
    )

    assert response.status_code == 200
    errors = form_errors(response, 0)
    assert [e.code for e in errors] == [code]
    message = errors[0].messages[0]
    assert MESSAGES[code] in message
    assert escape(message) in response.content.decode()
    assert form_errors(response, 1) == []
    (item,) = Evidence.objects.filter(complaint=complaint)
    assert item.original_name == "notice.png"
    assert item.sha256 == hashlib.sha256(good).hexdigest()
    assert stored_files(evidence_dir) == [item.file.name]


@pytest.mark.usefixtures("strict_limits")
@pytest.mark.parametrize(("make", "name", "content_type", "code"), REFUSED_PARAMS)
def test_json_endpoint_refuses_a_hostile_file(
    en_client, complaint, evidence_dir, make, name, content_type, code
):
    response = upload_one(en_client, complaint, name, make(), content_type=content_type)

    assert response.status_code == 400
    (message,) = json_messages(response)
    assert MESSAGES[code] in message
    assert not Evidence.objects.exists()
    assert stored_files(evidence_dir) == []


@pytest.mark.usefixtures("strict_limits")
@pytest.mark.parametrize(("make", "name", "content_type", "code"), REFUSED_PARAMS)
def test_inspect_upload_refuses_a_hostile_file_with_its_code(
    make, name, content_type, code
):
    # What Django's parser does to the name before our code sees it.
    name = "".join(ch for ch in name if ch.isprintable())
    uploaded = SimpleUploadedFile(name, make(), content_type)

    with pytest.raises(ev.EvidenceRejected) as refused:
        inspect_upload(uploaded)

    assert refused.value.code == code


def test_the_type_message_names_every_allowed_type():
    with pytest.raises(ev.EvidenceRejected) as refused:
        inspect_upload(SimpleUploadedFile("a.zip", samples.zip_archive()))

    with translation.override("en"):
        message = refused.value.messages[0]
    for label in ev.ALLOWED_TYPES_TEXT.split(", "):
        assert label in message


def test_a_decompression_bomb_is_refused_as_too_many_pixels_with_default_limits():
    """A PNG header claiming 20000×20000 pixels (400 MP) must be refused as too
    large an image, not described to the user as a damaged file."""
    uploaded = SimpleUploadedFile("bomb.png", samples.png_huge_dimensions())

    with pytest.raises(ev.EvidenceRejected) as refused:
        inspect_upload(uploaded)

    assert refused.value.code == "too_many_pixels"


def test_an_image_over_the_pixel_cap_but_under_pillows_limit_is_refused():
    # 60 MP: over the 50 MP setting, under Pillow's own 89 MP warning.
    uploaded = SimpleUploadedFile(
        "panorama.png", samples.png_huge_dimensions(10_000, 6_000)
    )

    with pytest.raises(ev.EvidenceRejected) as refused:
        inspect_upload(uploaded)

    assert refused.value.code == "too_many_pixels"
    with translation.override("en"):
        assert "10000×6000" in refused.value.messages[0]


def test_markup_split_across_read_chunks_is_still_found(monkeypatch):
    monkeypatch.setattr(ev, "_CHUNK", 64)
    data = samples.png()
    start = (len(data) // 64 + 2) * 64 - 3  # "<sc" | "ript>": split by a boundary
    data += b"\x00" * (start - len(data)) + b"<script>alert(1)</script>"

    with pytest.raises(ev.EvidenceRejected) as refused:
        inspect_upload(SimpleUploadedFile("x.png", data))

    assert refused.value.code == "markup"


@pytest.mark.parametrize(
    "make",
    [
        samples.pdf_with_javascript,
        samples.pdf_with_escaped_javascript_name,
        samples.pdf_with_javascript_in_object_stream,
    ],
    ids=["plain", "hex-escaped-names", "compressed-object-stream"],
)
def test_a_pdf_that_runs_javascript_is_refused_however_it_is_written(make):
    """All three are valid PDFs whose open action runs JavaScript (a PDF
    library reads /OpenAction → /S /JavaScript from each)."""
    with pytest.raises(ev.EvidenceRejected) as refused:
        inspect_upload(SimpleUploadedFile("contract.pdf", make()))

    assert refused.value.code == "pdf_active_content"


def test_an_image_that_is_also_html_through_an_event_handler_is_refused():
    """A PNG whose bytes end in `<img src=x onerror=…>`: rendered as HTML it
    runs script, with no <script>, <html> or <body> tag anywhere."""
    uploaded = SimpleUploadedFile("x.png", samples.png_html_polyglot_event_handler())

    with pytest.raises(ev.EvidenceRejected) as refused:
        inspect_upload(uploaded)

    assert refused.value.code == "markup"


# --- 3. Names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "photo\x00.jpg",
        "photo.jpg\x00.html",
        "bell\x07.png",
        "line\nbreak.png",
        "tab\there.png",
        "escape\x1b[31m.png",
        "delete\x7f.png",
        "invoice\u202egpj.exe",  # right-to-left override
        "zero\u200bwidth.png",  # zero-width space
        "bom\ufeff.png",
    ],
    ids=repr,
)
def test_sanitize_name_refuses_control_and_format_characters(name):
    with pytest.raises(ev.EvidenceRejected) as refused:
        sanitize_name(name)

    assert refused.value.code == "bad_name"


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../x.jpg", "x.jpg"),
        ("..\\..\\windows\\x.jpg", "x.jpg"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\张三\\停机通知.jpg", "停机通知.jpg"),
        ("  spaced   out  name.png  ", "spaced out name.png"),
        ("...hidden.png", "hidden.png"),
        ("name.", "name"),
        ("名字 <script>.png", "名字 <script>.png"),  # kept; escaped on output
        ("e\u0301.png", "\u00e9.png"),  # NFC
    ],
)
def test_sanitize_name_keeps_only_a_clean_file_name(name, clean):
    assert sanitize_name(name) == clean


@pytest.mark.parametrize("name", ["", "   ", ".", "..", "../..", "dir/", "..."])
def test_sanitize_name_refuses_a_name_that_is_empty_once_cleaned(name):
    with pytest.raises(ev.EvidenceRejected) as refused:
        sanitize_name(name)

    assert refused.value.code == "bad_name"


def test_sanitize_name_shortens_long_names_keeping_the_extension():
    name = sanitize_name("长" * 400 + ".jpeg")

    assert len(name) == ev.MAX_NAME_LENGTH
    assert name.endswith(".jpeg")
    assert sanitize_name("a" * 400) == "a" * ev.MAX_NAME_LENGTH


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../x.jpg", "x.jpg"),
        ("..\\..\\x.jpg", "x.jpg"),
        ("/var/www/static/x.jpg", "x.jpg"),
        ("photo\x00.jpg", "photo.jpg"),
        ("bell\x07 \x1b.jpg", "bell .jpg"),
        ("name\u202e.jpg", "name.jpg"),
    ],
    ids=repr,
)
def test_path_and_control_characters_never_reach_storage_or_the_page(
    en_client, complaint, evidence_dir, sent, shown
):
    data = samples.jpeg()

    response = upload_one(en_client, complaint, sent, data, content_type="image/jpeg")

    assert response.status_code == 201, response.content
    item = Evidence.objects.get()
    assert item.original_name == shown
    assert all(ch.isprintable() for ch in item.original_name)
    assert_stored_faithfully(item, data, shown, "image/jpeg", evidence_dir)
    page = en_client.get(complaint.get_absolute_url()).content.decode()
    assert escape(shown) in page


def test_a_name_that_is_nothing_but_control_characters_is_no_file(
    en_client, complaint, evidence_dir
):
    response = upload_one(en_client, complaint, "\x00\x01", samples.jpeg())

    assert response.status_code == 400
    assert response.json()["errors"]["file"][0]["message"] == "Choose a file."
    assert stored_files(evidence_dir) == []


def test_a_name_with_markup_is_escaped_everywhere_it_is_shown(en_client, complaint):
    name = "名字 <img src=x onerror=alert(1)>.png"

    response = upload_one(en_client, complaint, name, samples.png())

    assert response.status_code == 201, response.content
    item = Evidence.objects.get()
    assert item.original_name == name  # kept as typed; it is only metadata
    for url in (
        complaint.get_absolute_url(),
        reverse("complaints:evidence_edit", args=[complaint.public_id, item.public_id]),
        reverse(
            "complaints:evidence_delete", args=[complaint.public_id, item.public_id]
        ),
    ):
        page = en_client.get(url).content.decode()
        assert "<img src=x onerror" not in page, url
        assert escape(name) in page, url


# --- 4. Duplicates and limits -----------------------------------------------------


def test_the_same_file_twice_in_one_case_is_refused_naming_the_first(
    en_client, complaint, evidence_dir
):
    data = samples.png()
    assert upload_one(en_client, complaint, "first.png", data).status_code == 201

    response = upload_one(en_client, complaint, "again.png", data)

    assert response.status_code == 400
    assert json_messages(response) == [
        "This file is already attached to the case as “first.png”."
    ]
    assert Evidence.objects.filter(complaint=complaint).count() == 1
    assert len(stored_files(evidence_dir)) == 1


def test_the_same_file_twice_in_one_form_post_keeps_the_first(
    en_client, complaint, evidence_dir
):
    data = samples.jpeg()

    response = upload_form(
        en_client,
        complaint,
        [
            row("first.jpg", data),
            row("second.jpg", data),
            row("other.png", samples.png()),
        ],
    )

    assert response.status_code == 200
    (error,) = form_errors(response, 1)
    assert error.code == "duplicate"
    assert "“first.jpg”" in error.messages[0]
    assert sorted(Evidence.objects.values_list("original_name", flat=True)) == [
        "first.jpg",
        "other.png",
    ]
    assert len(stored_files(evidence_dir)) == 2


def test_the_same_file_in_another_case_is_fine(en_client, user, complaint):
    other_case = ComplaintFactory(owner=user)
    data = samples.png()

    assert upload_one(en_client, complaint, "a.png", data).status_code == 201
    assert upload_one(en_client, other_case, "a.png", data).status_code == 201

    assert Evidence.objects.filter(sha256=hashlib.sha256(data).hexdigest()).count() == 2


def test_files_per_case_are_limited(settings, en_client, complaint, evidence_dir):
    settings.EVIDENCE_MAX_FILES = 2
    for color in ((1, 2, 3), (4, 5, 6)):
        samples.attach(complaint, samples.png(color=color))

    response = upload_one(
        en_client, complaint, "third.png", samples.png(color=(7, 8, 9))
    )

    assert response.status_code == 400
    assert json_messages(response) == ["A case can hold at most 2 files."]
    assert Evidence.objects.count() == 2
    assert len(stored_files(evidence_dir)) == 2
    page = en_client.get(
        reverse("complaints:evidence_upload", args=[complaint.public_id])
    )
    assert page.context["files_left"] == 0


def test_bytes_per_case_are_limited(settings, en_client, complaint, evidence_dir):
    settings.EVIDENCE_MAX_COMPLAINT_BYTES = MB
    first = samples.oversize(600_000)
    second = b"x" + samples.oversize(600_000)
    small = samples.text_utf8()

    assert upload_one(en_client, complaint, "first.txt", first).status_code == 201
    refused = upload_one(en_client, complaint, "second.txt", second)
    fits = upload_one(en_client, complaint, "small.txt", small)

    assert refused.status_code == 400
    assert json_messages(refused) == [
        "This file would take the case over its 1 MB of evidence."
    ]
    assert fits.status_code == 201
    assert sorted(Evidence.objects.values_list("original_name", flat=True)) == [
        "first.txt",
        "small.txt",
    ]
    assert len(stored_files(evidence_dir)) == 2


# --- 5. When and by whom evidence may be uploaded ------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_only_the_owner_may_change_evidence_and_only_while_editable(
    user, other_user, reviewer, status
):
    complaint = Complaint(owner=user, status=status)

    editable = status in (Status.DRAFT, Status.NEEDS_INFO)
    assert access.may(user, Action.CHANGE_EVIDENCE, complaint) is editable
    assert access.may(other_user, Action.CHANGE_EVIDENCE, complaint) is False
    assert access.may(reviewer, Action.CHANGE_EVIDENCE, complaint) is False


def test_upload_page_shows_the_limits_and_allowed_types(en_client, complaint):
    response = en_client.get(
        reverse("complaints:evidence_upload", args=[complaint.public_id])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert ev.ALLOWED_TYPES_TEXT in page
    assert "Up to 25 MB per file" in page
    assert 'enctype="multipart/form-data"' in page
    assert f'accept="{escape(ev.ACCEPT_ATTRIBUTE)}"' in page


def test_an_empty_form_post_asks_for_a_file(en_client, complaint, evidence_dir):
    response = upload_form(en_client, complaint, [])

    assert response.status_code == 200
    assert "Choose at least one file to upload." in response.content.decode()
    assert stored_files(evidence_dir) == []


def test_a_row_without_purpose_or_kind_stores_nothing(
    en_client, complaint, evidence_dir
):
    response = upload_form(
        en_client,
        complaint,
        [
            row("a.png", samples.png(), purpose="  ", kind=""),
            row("b.jpg", samples.jpeg()),
        ],
    )

    assert response.status_code == 200
    assert [e.code for e in form_errors(response, 0, "purpose")]
    assert [e.code for e in form_errors(response, 0, "kind")]
    assert not Evidence.objects.exists()
    assert stored_files(evidence_dir) == []


def test_json_endpoint_asks_for_a_file(en_client, complaint):
    url = reverse("complaints:evidence_upload_one", args=[complaint.public_id])

    response = en_client.post(url, {"kind": "receipt", "purpose": PURPOSE})

    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_upload_works_while_information_is_requested(en_client, complaint):
    # The workflow cannot reach needs_info yet; set it directly.
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.NEEDS_INFO)

    assert upload_one(en_client, complaint, "a.png", samples.png()).status_code == 201
    response = upload_form(en_client, complaint, [row("b.jpg", samples.jpeg())])
    assert response.status_code == 302


def test_no_upload_after_submission(en_client, complaint, evidence_dir):
    item = samples.attach(complaint, samples.jpeg(), "before.jpg")
    submit(complaint)
    before = stored_files(evidence_dir)
    upload_url = reverse("complaints:evidence_upload", args=[complaint.public_id])

    page = en_client.get(complaint.get_absolute_url()).content.decode()
    assert f'href="{upload_url}"' not in page
    assert "/delete/" not in page
    assert "/edit/" not in page
    get = en_client.get(upload_url)
    form = upload_form(en_client, complaint, [row("a.png", samples.png())])
    one = upload_one(en_client, complaint, "b.png", samples.png(color=(1, 1, 1)))

    for response in (get, form):
        assert response.status_code == 302
        assert response.url == complaint.get_absolute_url()
    assert one.status_code == 403
    assert list(Evidence.objects.all()) == [item]
    assert stored_files(evidence_dir) == before
    # What was attached before stays downloadable.
    assert en_client.get(download_url(item)).status_code == 200


def test_a_service_call_after_submission_is_refused(complaint, evidence_dir):
    submit(complaint)

    with pytest.raises(PermissionDenied):
        samples.attach(complaint)

    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize("view", ["evidence_upload", "evidence_upload_one"])
def test_another_users_upload_is_404_and_stores_nothing(
    client, other_user, complaint, evidence_dir, view
):
    client.force_login(other_user)
    url = reverse(f"complaints:{view}", args=[complaint.public_id])

    if view == "evidence_upload":
        assert client.get(url).status_code == 404
        response = upload_form(client, complaint, [row("a.png", samples.png())])
    else:
        response = upload_one(client, complaint, "a.png", samples.png())

    assert response.status_code == 404
    assert not Evidence.objects.exists()
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize("view", ["evidence_upload", "evidence_upload_one"])
def test_anonymous_upload_is_sent_to_login(client, complaint, evidence_dir, view):
    url = reverse(f"complaints:{view}", args=[complaint.public_id])

    response = post_multipart(
        client,
        url,
        [("kind", "receipt")],
        [("file", "a.png", "image/png", samples.png())],
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not Evidence.objects.exists()
    assert stored_files(evidence_dir) == []


# --- 6. Downloads -------------------------------------------------------------------


def content_disposition_filename(header: str) -> str:
    """The file name of an attachment: RFC 6266 `filename*=UTF-8''…` for
    names beyond ASCII, a plain quoted `filename` otherwise."""
    match = re.fullmatch(r"attachment; filename\*=(?i:utf-8)''(\S+)", header)
    if match:
        return unquote(match[1], encoding="utf-8", errors="strict")
    match = re.fullmatch(r'attachment; filename="([ -~]+)"', header)
    assert match, header
    return match[1]


@pytest.mark.parametrize(
    "sample", ["jpeg", "pdf", "m4a", "text-gb18030", "csv", "xlsx", "heic"]
)
def test_owner_downloads_the_exact_bytes_as_an_attachment(en_client, complaint, sample):
    make, name, content_type = samples.ACCEPTED[sample]
    data = make()
    item = samples.attach(complaint, data, name)

    response = en_client.get(download_url(item))

    assert response.status_code == 200
    body = body_of(response)
    assert body == data
    assert hashlib.sha256(body).hexdigest() == item.sha256
    assert response["Content-Type"] == content_type
    assert content_disposition_filename(response["Content-Disposition"]) == name
    assert response["X-Content-Type-Options"] == "nosniff"
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache
    csp = response["Content-Security-Policy"]
    assert "sandbox" in [d.strip() for d in csp.split(";")]
    assert "default-src 'none'" in csp
    assert response["Content-Length"] == str(len(data))


def test_an_ascii_name_is_sent_plainly(en_client, complaint):
    item = samples.attach(complaint, samples.pdf(), "bank statement.pdf")

    response = en_client.get(download_url(item))

    assert (
        response["Content-Disposition"] == 'attachment; filename="bank statement.pdf"'
    )


def test_another_user_cannot_download(client, other_user, complaint):
    item = samples.attach(complaint)
    client.force_login(other_user)

    assert client.get(download_url(item)).status_code == 404
    assert client.get(thumbnail_url(item)).status_code == 404


def test_anonymous_download_is_sent_to_login(client, complaint):
    item = samples.attach(complaint)

    for url in (download_url(item), thumbnail_url(item)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('accounts:login')}?next={url}"


def test_evidence_of_one_case_is_not_reachable_through_another(
    en_client, user, complaint
):
    item = samples.attach(complaint)
    mine_too = ComplaintFactory(owner=user)

    for name in ("download", "thumbnail", "edit", "delete"):
        url = reverse(
            f"complaints:evidence_{name}", args=[mine_too.public_id, item.public_id]
        )
        assert en_client.get(url).status_code == 404, name
    missing = reverse(
        "complaints:evidence_download", args=[complaint.public_id, uuid.uuid4()]
    )
    assert en_client.get(missing).status_code == 404


def test_a_reviewer_downloads_and_previews(reviewer_client, complaint):
    data = samples.jpeg()
    item = samples.attach(complaint, data, "停机通知.jpg")

    response = reviewer_client.get(download_url(item))
    assert response.status_code == 200
    assert body_of(response) == data
    assert reviewer_client.get(thumbnail_url(item)).status_code == 200


def test_staff_without_the_view_permission_cannot_download(client, complaint):
    item = samples.attach(complaint)
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    assert client.get(download_url(item)).status_code == 404
    assert client.get(thumbnail_url(item)).status_code == 404


def test_a_missing_stored_file_is_404_not_an_error(en_client, complaint, evidence_dir):
    item = samples.attach(complaint)
    (evidence_dir / item.file.name).unlink()

    assert en_client.get(download_url(item)).status_code == 404


def test_no_url_serves_the_storage_directory(en_client, complaint):
    item = samples.attach(complaint)

    for prefix in ("/media/", "/media/evidence/", "/evidence/", "/static/"):
        assert en_client.get(prefix + item.file.name).status_code == 404


def test_evidence_storage_is_outside_static_and_not_world_readable():
    options = CONFIGURED_STORAGE["OPTIONS"]
    location = Path(options["location"]).resolve()

    assert options["file_permissions_mode"] & 0o007 == 0
    assert options["directory_permissions_mode"] & 0o007 == 0
    for public in [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]:
        assert not location.is_relative_to(Path(public).resolve())
    assert not django_settings.MEDIA_URL.strip("/")


# --- 7. Thumbnails ------------------------------------------------------------------


def test_thumbnail_is_a_small_jpeg_without_exif(en_client, complaint, evidence_dir):
    data = samples.jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # has GPS
    item = samples.attach(complaint, data, "现场.jpg")

    response = en_client.get(thumbnail_url(item))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= {
        p.strip() for p in response["Cache-Control"].split(",")
    }
    body = body_of(response)
    with Image.open(io.BytesIO(body)) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) <= 480
        assert not thumb.getexif()
        assert "exif" not in thumb.info
    assert b"Exif" not in body
    assert b"TestPhone" not in body
    # The original keeps its metadata: evidence is stored as uploaded.
    assert body_of(en_client.get(download_url(item))) == data
    item.refresh_from_db()
    assert THUMBNAIL_NAME_RE.fullmatch(item.thumbnail)
    assert stat.S_IMODE((evidence_dir / item.thumbnail).stat().st_mode) == 0o640


def test_thumbnail_applies_the_exif_orientation(en_client, complaint):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    Image.new("RGB", (300, 100), "red").save(out, "JPEG", exif=exif)
    item = samples.attach(complaint, out.getvalue(), "rotated.jpg")

    body = body_of(en_client.get(thumbnail_url(item)))

    with Image.open(io.BytesIO(body)) as thumb:
        assert thumb.size == (100, 300)


@pytest.mark.parametrize("sample", ["png", "webp", "gif", "heic"])
def test_every_image_type_has_a_thumbnail(en_client, complaint, sample):
    make, name, _type = samples.ACCEPTED[sample]
    item = samples.attach(complaint, make(), name)

    response = en_client.get(thumbnail_url(item))

    assert response.status_code == 200
    assert Image.open(io.BytesIO(body_of(response))).format == "JPEG"


def test_a_transparent_png_gets_a_white_background(en_client, complaint):
    out = io.BytesIO()
    Image.new("RGBA", (40, 40), (255, 0, 0, 0)).save(out, "PNG")
    item = samples.attach(complaint, out.getvalue(), "transparent.png")

    body = body_of(en_client.get(thumbnail_url(item)))

    pixel = Image.open(io.BytesIO(body)).convert("RGB").getpixel((20, 20))
    assert all(channel > 240 for channel in pixel)


@pytest.mark.parametrize("sample", ["pdf", "mp4", "text-utf8", "xlsx"])
def test_a_file_that_is_not_an_image_has_no_thumbnail(en_client, complaint, sample):
    make, name, _type = samples.ACCEPTED[sample]
    item = samples.attach(complaint, make(), name)

    assert en_client.get(thumbnail_url(item)).status_code == 404
    page = en_client.get(complaint.get_absolute_url()).content.decode()
    assert thumbnail_url(item) not in page


def test_the_thumbnail_is_made_once(en_client, complaint, evidence_dir):
    item = samples.attach(complaint, samples.jpeg(size=(1200, 900)), "big.jpg")

    first = body_of(en_client.get(thumbnail_url(item)))
    second = body_of(en_client.get(thumbnail_url(item)))

    assert first == second
    assert len(stored_files(evidence_dir)) == 2  # the file and one thumbnail


def test_a_lost_thumbnail_file_is_made_again(en_client, complaint, evidence_dir):
    item = samples.attach(complaint, samples.jpeg(), "photo.jpg")
    assert en_client.get(thumbnail_url(item)).status_code == 200
    item.refresh_from_db()
    (evidence_dir / item.thumbnail).unlink()  # e.g. restored without thumbnails

    response = en_client.get(thumbnail_url(item))

    assert response.status_code == 200
    assert Image.open(io.BytesIO(body_of(response))).format == "JPEG"


# --- 8. Deletion ----------------------------------------------------------------------


def test_owner_deletes_evidence_and_its_files_go_after_commit(
    en_client, complaint, evidence_dir, django_capture_on_commit_callbacks
):
    item = samples.attach(complaint, samples.jpeg(), "停机通知.jpg")
    keep = samples.attach(complaint, samples.png(), "keep.png")
    en_client.get(thumbnail_url(item))
    item.refresh_from_db()
    assert item.thumbnail
    files = {item.file.name, item.thumbnail}
    url = reverse(
        "complaints:evidence_delete", args=[complaint.public_id, item.public_id]
    )

    page = en_client.get(url)
    assert page.status_code == 200
    assert escape("停机通知.jpg") in page.content.decode()
    assert set(stored_files(evidence_dir)) >= files  # a GET deletes nothing

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = en_client.post(url)
    assert response.status_code == 302
    assert response.url == f"{complaint.get_absolute_url()}#evidence"
    assert not Evidence.objects.filter(pk=item.pk).exists()
    # Before the commit the files are still there...
    assert set(stored_files(evidence_dir)) >= files
    assert callbacks
    for callback in callbacks:
        callback()
    # ...and afterwards only the other item's file is left.
    assert stored_files(evidence_dir) == [keep.file.name]


def test_delete_through_the_view_with_commit(
    en_client, complaint, evidence_dir, django_capture_on_commit_callbacks
):
    item = samples.attach(complaint)
    url = reverse(
        "complaints:evidence_delete", args=[complaint.public_id, item.public_id]
    )

    with django_capture_on_commit_callbacks(execute=True):
        en_client.post(url)

    assert not Evidence.objects.exists()
    assert stored_files(evidence_dir) == []
    assert "removed" in en_client.get(complaint.get_absolute_url()).content.decode()


def test_another_user_cannot_delete(
    client, other_user, complaint, evidence_dir, django_capture_on_commit_callbacks
):
    item = samples.attach(complaint)
    client.force_login(other_user)
    url = reverse(
        "complaints:evidence_delete", args=[complaint.public_id, item.public_id]
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 404
        assert client.get(url).status_code == 404

    assert Evidence.objects.filter(pk=item.pk).exists()
    assert stored_files(evidence_dir) == [item.file.name]


def test_no_deletion_after_submission(
    en_client, complaint, evidence_dir, django_capture_on_commit_callbacks
):
    item = samples.attach(complaint)
    submit(complaint)
    url = reverse(
        "complaints:evidence_delete", args=[complaint.public_id, item.public_id]
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = en_client.post(url)

    assert response.status_code == 302
    assert response.url == complaint.get_absolute_url()
    assert Evidence.objects.filter(pk=item.pk).exists()
    assert stored_files(evidence_dir) == [item.file.name]
    with pytest.raises(PermissionDenied):
        services.evidence_delete(actor=complaint.owner, evidence=item)


def test_a_reviewer_cannot_delete_through_the_site(reviewer_client, complaint):
    item = samples.attach(complaint)
    url = reverse(
        "complaints:evidence_delete", args=[complaint.public_id, item.public_id]
    )

    assert reviewer_client.post(url).status_code == 404
    assert Evidence.objects.filter(pk=item.pk).exists()


# --- 9. Failed and rolled-back uploads leave nothing behind --------------------------


def test_a_failure_while_saving_the_row_removes_the_stored_file(
    monkeypatch, complaint, evidence_dir
):
    def broken_save(self, *args, **kwargs):
        assert stored_files(evidence_dir), "the file is written before the row"
        raise DatabaseError("disk full")

    monkeypatch.setattr(Evidence, "save", broken_save)

    with pytest.raises(DatabaseError):
        samples.attach(complaint)

    assert stored_files(evidence_dir) == []
    assert not Evidence.objects.exists()


def test_a_failure_after_the_row_rolls_back_and_removes_the_file(
    monkeypatch, complaint, evidence_dir
):
    """The last step (touching the case) fails: the row is rolled back and
    the file deleted."""
    real_filter = Complaint.objects.filter

    class Touch:
        def __init__(self, qs):
            self.qs = qs

        def update(self, **kwargs):
            if "updated_at" in kwargs:
                raise DatabaseError("connection lost")
            return self.qs.update(**kwargs)

    def filter_(*args, **kwargs):
        return Touch(real_filter(*args, **kwargs))

    with monkeypatch.context() as patched, pytest.raises(DatabaseError):
        patched.setattr(Complaint.objects, "filter", filter_)
        samples.attach(complaint)

    assert not Evidence.objects.exists()
    assert stored_files(evidence_dir) == []


def test_a_row_that_fails_validation_leaves_no_file(complaint, evidence_dir):
    with pytest.raises(ValidationError):
        samples.attach(complaint, purpose="长" * 301)
    with pytest.raises(ValidationError):
        samples.attach(complaint, kind="not-a-kind")

    assert stored_files(evidence_dir) == []
    assert not Evidence.objects.exists()


def test_a_crash_during_an_upload_request_leaves_no_file(
    monkeypatch, en_client, complaint, evidence_dir
):
    def broken_save(self, *args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Evidence, "save", broken_save)
    en_client.raise_request_exception = False

    response = upload_one(en_client, complaint, "a.png", samples.png())

    assert response.status_code == 500
    assert stored_files(evidence_dir) == []


def test_temporary_upload_files_are_removed_after_the_request(
    settings, tmp_path, en_client, complaint
):
    temp = tmp_path / "upload-tmp"
    temp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    settings.EVIDENCE_MAX_FILE_BYTES = MB

    upload_one(en_client, complaint, "a.png", samples.png())
    upload_one(en_client, complaint, "b.zip", samples.zip_archive())
    upload_one(en_client, complaint, "c.txt", samples.oversize(MB))

    assert list(temp.iterdir()) == []


# --- 10. Editing what the user says about a file --------------------------------------


def test_owner_edits_kind_purpose_original_and_linked_losses(en_client, complaint):
    item = samples.attach(complaint)
    own_loss = complaint.loss_items.get()
    second_loss = LossItemFactory(complaint=complaint, description="押金")
    url = reverse(
        "complaints:evidence_edit", args=[complaint.public_id, item.public_id]
    )

    page = en_client.get(url)
    assert page.status_code == 200
    assert set(page.context["form"].fields["loss_items"].queryset) == {
        own_loss,
        second_loss,
    }
    response = en_client.post(
        url,
        {
            "kind": "receipt",
            "purpose": "  押金收据  ",
            "is_original": "0",
            "loss_items": [second_loss.pk],
        },
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.kind, item.purpose, item.is_original) == ("receipt", "押金收据", False)
    assert list(item.loss_items.all()) == [second_loss]
    detail = en_client.get(complaint.get_absolute_url()).content.decode()
    assert "Supports:" in detail
    assert "· copy ·" in detail


def test_only_the_cases_own_losses_can_be_linked(en_client, user, complaint):
    item = samples.attach(complaint)
    foreign = LossItemFactory(complaint=ComplaintFactory(owner=user))
    url = reverse(
        "complaints:evidence_edit", args=[complaint.public_id, item.public_id]
    )

    response = en_client.post(
        url,
        {
            "kind": "receipt",
            "purpose": "x",
            "is_original": "1",
            "loss_items": [foreign.pk],
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["loss_items"]
    item.refresh_from_db()
    assert item.kind == "screenshot"
    assert not item.loss_items.exists()


def test_the_update_service_ignores_another_cases_losses(user, complaint):
    item = samples.attach(complaint)
    foreign = LossItemFactory(complaint=ComplaintFactory(owner=user))
    own = complaint.loss_items.get()

    services.evidence_update(
        actor=user,
        evidence=item,
        kind="receipt",
        purpose="x",
        is_original=True,
        loss_items=[foreign, own],
    )

    assert list(item.loss_items.all()) == [own]


def test_edit_cannot_change_the_file_or_its_facts(en_client, complaint):
    item = samples.attach(complaint)
    before = Evidence.objects.filter(pk=item.pk).values().get()
    url = reverse(
        "complaints:evidence_edit", args=[complaint.public_id, item.public_id]
    )

    en_client.post(
        url,
        {
            "kind": "screenshot",
            "purpose": item.purpose,
            "is_original": "1",
            "sha256": "0" * 64,
            "original_name": "evil.html",
            "content_type": "text/html",
            "size": "1",
            "file": "../../etc/passwd",
            "verdict": "verified",
            "review_note": "ok",
            "complaint": ComplaintFactory().pk,
        },
    )

    assert Evidence.objects.filter(pk=item.pk).values().get() == before


def test_edit_is_closed_to_others_and_after_submission(
    other_user, en_client, complaint
):
    item = samples.attach(complaint)
    url = reverse(
        "complaints:evidence_edit", args=[complaint.public_id, item.public_id]
    )
    data = {"kind": "receipt", "purpose": "x", "is_original": "1"}

    client = Client()
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    submit(complaint)
    response = en_client.post(url, data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.kind == "screenshot"


# --- 11. The streaming upload handler -------------------------------------------------


def _stream(handler, data, chunk=64 * 1024, check=None):
    handler.new_file("file", "big.txt", "text/plain", len(data))
    for start in range(0, len(data), chunk):
        handler.receive_data_chunk(data[start : start + chunk], start)
        if check:
            check(handler)
    return handler.file_complete(len(data))


def test_the_handler_hashes_while_streaming(settings):
    settings.EVIDENCE_MAX_FILE_BYTES = MB
    data = samples.oversize(MB)[: MB - 10]

    uploaded = _stream(HashingUploadHandler(), data, chunk=7919)

    assert uploaded.sha256 == hashlib.sha256(data).hexdigest()
    assert uploaded.received_size == len(data)
    assert uploaded.too_large is False
    assert Path(uploaded.temporary_file_path()).read_bytes() == data
    assert inspect_upload(uploaded).sha256 == uploaded.sha256


def test_the_handler_never_writes_more_than_the_limit(settings):
    settings.EVIDENCE_MAX_FILE_BYTES = MB
    data = samples.oversize(3 * MB)
    sizes = []

    def check(handler):
        handler.file.flush()
        sizes.append(os.path.getsize(handler.file.temporary_file_path()))

    uploaded = _stream(HashingUploadHandler(), data, check=check)

    assert max(sizes) <= MB
    assert os.path.getsize(uploaded.temporary_file_path()) <= MB
    assert uploaded.received_size == len(data)
    assert uploaded.too_large is True
    with pytest.raises(ev.EvidenceRejected) as refused:
        inspect_upload(uploaded)
    assert refused.value.code == "too_large"


def test_uploads_use_the_hashing_handler_and_never_memory():
    assert django_settings.FILE_UPLOAD_HANDLERS == [
        "complaints.evidence.HashingUploadHandler"
    ]


def test_an_upload_through_the_view_is_a_temporary_file(
    monkeypatch, en_client, complaint
):
    seen = []
    real_add = services.evidence_add

    def spy(**kwargs):
        seen.append(kwargs["uploaded_file"])
        return real_add(**kwargs)

    monkeypatch.setattr(services, "evidence_add", spy)

    assert upload_one(en_client, complaint, "a.png", samples.png()).status_code == 201
    (uploaded,) = seen
    assert hasattr(uploaded, "temporary_file_path")
    assert uploaded.sha256 == Evidence.objects.get().sha256


# --- 12. Review in the admin --------------------------------------------------------


def test_a_reviewer_verifies_evidence_in_the_admin_and_the_user_sees_it(
    reviewer_client, reviewer, en_client, complaint
):
    item = samples.attach(complaint, samples.pdf(), "合同.pdf")
    url = reverse("admin:complaints_evidence_change", args=[item.pk])

    page = reviewer_client.get(url)
    assert page.status_code == 200
    assert download_url(item) in page.content.decode()
    response = reviewer_client.post(
        url,
        {
            "verdict": "rejected",
            "review_note": "合同页不全，请补充第2页",
            "kind": "other",  # read-only here: ignored
            "purpose": "changed",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    item.refresh_from_db()
    assert item.verdict == "rejected"
    assert item.review_note == "合同页不全，请补充第2页"
    assert item.reviewed_by == reviewer
    assert item.reviewed_at is not None
    assert (item.kind, item.purpose) == ("screenshot", "终端停用通知")
    detail = en_client.get(complaint.get_absolute_url()).content.decode()
    assert "Not accepted" in detail
    assert "合同页不全，请补充第2页" in detail


def test_the_admin_save_goes_through_the_review_service(
    monkeypatch, reviewer_client, complaint
):
    item = samples.attach(complaint)
    calls = []
    real = services.evidence_review

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "evidence_review", spy)

    reviewer_client.post(
        reverse("admin:complaints_evidence_change", args=[item.pk]),
        {"verdict": "verified", "review_note": "", "_save": "Save"},
    )

    assert [c["verdict"] for c in calls] == ["verified"]
    item.refresh_from_db()
    assert item.verdict == "verified"


def test_a_reviewer_cannot_delete_or_add_evidence_in_the_admin(
    reviewer_client, complaint
):
    item = samples.attach(complaint)

    delete = reviewer_client.post(
        reverse("admin:complaints_evidence_delete", args=[item.pk]), {"post": "yes"}
    )
    add = reviewer_client.get(reverse("admin:complaints_evidence_add"))
    bulk = reviewer_client.post(
        reverse("admin:complaints_evidence_changelist"),
        {"action": "delete_selected", "_selected_action": [item.pk], "post": "yes"},
    )

    assert delete.status_code == 403
    assert add.status_code == 403
    assert bulk.status_code in (200, 302)
    assert Evidence.objects.filter(pk=item.pk).exists()


def test_view_only_staff_cannot_change_a_verdict(client, complaint):
    item = samples.attach(complaint)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_complaint", "view_evidence"])
    )
    client.force_login(staff)
    url = reverse("admin:complaints_evidence_change", args=[item.pk])

    assert client.get(url).status_code == 200
    assert (
        client.post(url, {"verdict": "verified", "review_note": ""}).status_code == 403
    )
    item.refresh_from_db()
    assert item.verdict == "pending"
    with pytest.raises(PermissionDenied):
        services.evidence_review(
            actor=staff, evidence=item, verdict="verified", note=""
        )


def test_non_staff_get_no_admin(client, user, complaint):
    item = samples.attach(complaint)
    client.force_login(user)

    for url in (
        reverse("admin:complaints_evidence_change", args=[item.pk]),
        reverse("admin:complaints_evidence_changelist"),
        reverse("admin:complaints_complaint_change", args=[complaint.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_the_complaint_admin_page_lists_evidence_with_download_links(
    reviewer_client, complaint
):
    items = [
        samples.attach(complaint, samples.pdf(), "合同.pdf"),
        samples.attach(complaint, samples.jpeg(), "停机通知.jpg"),
    ]
    # Reviewers see submitted cases only; drafts stay the owner's own.
    workflow.transition(complaint, target=Status.SUBMITTED, actor=complaint.owner)

    response = reviewer_client.get(
        reverse("admin:complaints_complaint_change", args=[complaint.pk])
    )

    assert response.status_code == 200
    page = response.content.decode()
    for item in items:
        assert download_url(item) in page
        assert escape(item.original_name) in page
        assert reverse("admin:complaints_evidence_change", args=[item.pk]) in page
    # Pillow stamps each generated PDF with the time: compare with what was stored.
    body = body_of(reviewer_client.get(download_url(items[0])))
    assert hashlib.sha256(body).hexdigest() == items[0].sha256


def test_the_evidence_changelist_shows_only_visible_cases(client, complaint):
    item = samples.attach(complaint)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_evidence"))
    client.force_login(staff)

    # Staff who may see evidence but no complaints see none of it.
    page = client.get(reverse("admin:complaints_evidence_changelist"))
    assert page.status_code == 200
    assert item.original_name not in page.content.decode()
    change = client.get(reverse("admin:complaints_evidence_change", args=[item.pk]))
    assert change.status_code == 302  # "does not exist": back to the admin index


# --- 13. Storage follows the settings -------------------------------------------------


def test_every_file_operation_uses_the_configured_evidence_storage(
    settings, tmp_path, en_client, complaint, django_capture_on_commit_callbacks
):
    """Saving goes through `storages["evidence"]`; reading and deleting must use
    the same storage, not the one `Evidence.file` captured at import."""
    location = tmp_path / "moved"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            **settings.STORAGES["evidence"],
            "OPTIONS": {
                **settings.STORAGES["evidence"]["OPTIONS"],
                "location": str(location),
            },
        },
    }
    data = samples.jpeg()
    item = samples.attach(complaint, data, "photo.jpg")
    assert stored_files(location) == [item.file.name]

    response = en_client.get(download_url(item))
    assert response.status_code == 200
    assert body_of(response) == data
    assert en_client.get(thumbnail_url(item)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(actor=complaint.owner, evidence=item)
    assert stored_files(location) == []


# --- 14. Query budget of the list -------------------------------------------------------


def _detail_queries(client, complaint) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(complaint.get_absolute_url())
    assert response.status_code == 200
    return len(captured.captured_queries)


def _evidence_rows(complaint, count):
    losses = LossItemFactory.create_batch(2, complaint=complaint)
    for n in range(count):
        item = Evidence.objects.create(
            complaint=complaint,
            kind="receipt",
            purpose=f"收据 {n}",
            file=f"00/{uuid.uuid4().hex}",
            original_name=f"receipt-{n}.{'jpg' if n % 2 else 'pdf'}",
            content_type="image/jpeg" if n % 2 else "application/pdf",
            size=1000 + n,
            sha256=hashlib.sha256(str(n).encode()).hexdigest(),
            uploaded_by=complaint.owner,
        )
        item.loss_items.set(losses)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
def test_detail_page_queries_do_not_grow_with_the_evidence(owner_client, user, status):
    one = ComplaintFactory(owner=user, status=status)
    many = ComplaintFactory(owner=user, status=status)
    _evidence_rows(one, 1)
    _evidence_rows(many, 20)

    few = _detail_queries(owner_client, one)
    lots = _detail_queries(owner_client, many)

    assert lots == few
    page = owner_client.get(many.get_absolute_url()).content.decode()
    assert page.count('data-testid="evidence-item"') == 20


def test_detail_page_query_budget_with_evidence(
    owner_client, user, django_assert_max_num_queries
):
    complaint = ComplaintFactory(owner=user)
    _evidence_rows(complaint, 5)

    # Session and user (2); the case, its losses, its evidence and their
    # losses (4); the letter plan's channels, the letters made and the
    # filings (3); the session save (3).
    with django_assert_max_num_queries(14):
        owner_client.get(complaint.get_absolute_url())


def test_truncated_images_are_still_refused_after_a_letter_was_rendered():
    """WeasyPrint turns on Pillow's process-wide LOAD_TRUNCATED_IMAGES when it
    is imported; the letters undo it, so evidence checks stay strict in a
    worker that has rendered a PDF."""
    from PIL import ImageFile

    from complaints.letters import render

    render.warm_up()  # imports WeasyPrint and loads the fonts
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    for make, name in (
        (samples.truncated_jpeg, "photo.jpg"),
        (samples.truncated_png, "photo.png"),
    ):
        with pytest.raises(ev.EvidenceRejected) as refused:
            inspect_upload(SimpleUploadedFile(name, make()))
        assert refused.value.code == "broken_image"
