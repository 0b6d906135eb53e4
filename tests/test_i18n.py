"""Chinese is the default language and both catalogues are complete."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "complaints" / "locale"
CATALOGUES = [LOCALE / lang / "LC_MESSAGES" / "django.po" for lang in ("zh_Hans", "en")]


def _entries(po: Path):
    """(msgid, msgstr, fuzzy) for each entry of a .po file, header excluded."""
    text = po.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        lines = [ln for ln in block.strip().splitlines() if not ln.startswith("#~")]
        if not lines:
            continue
        fuzzy = any(ln.startswith("#,") and "fuzzy" in ln for ln in lines)
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith("msgid "):
                current = msgid
                line = line[6:]
            elif line.startswith("msgstr"):
                current = msgstr
                line = line.split(" ", 1)[1]
            elif line.startswith(("msgctxt", "msgid_plural", "#")):
                current = None
                continue
            if current is not None and line.startswith('"'):
                current.append(line[1:-1])
        yield "".join(msgid), "".join(msgstr), fuzzy


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_catalogue_is_complete(po):
    entries = list(_entries(po))
    assert len(entries) > 100
    untranslated = [mid for mid, mstr, _f in entries if mid and not mstr]
    fuzzy = [mid for mid, _s, f in entries if f]
    assert not untranslated, f"untranslated in {po}: {untranslated[:5]}"
    assert not fuzzy, f"fuzzy in {po}: {fuzzy[:5]}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_compiled_catalogue_is_up_to_date(po, tmp_path):
    if not shutil.which("msgfmt"):
        pytest.skip("gettext (msgfmt) is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], check=True)
    committed = po.with_suffix(".mo")
    assert committed.read_bytes() == fresh.read_bytes(), "run `make messages`"


# Words that stay in Latin letters on a Chinese page.
ALLOWED_LATIN = {
    "casetracker",
    "English",
    "App",
    "SN",
    "POS",
    "WQ",
    "CNY",
    "MP70",
    "PDF",
}


def _latin_words(html: str) -> set[str]:
    body = html.split("<body", 1)[1].split(">", 1)[1]
    body = re.sub(r"<[^>]+>", " ", body)  # tags and their attributes
    return set(re.findall(r"[A-Za-z]{3,}", body)) - ALLOWED_LATIN


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/signup/", "/accounts/login/", "/accounts/password-reset/"],
)
def test_public_pages_are_chinese_by_default(client, path):
    response = client.get(path)
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert not _latin_words(html)


@pytest.mark.django_db
def test_case_pages_are_chinese_by_default(owner_client, complaint):
    pages = [
        "/cases/",
        "/cases/new/",
        complaint.get_absolute_url(),
        f"/cases/{complaint.public_id}/edit/",
    ]
    for path in pages:
        html = owner_client.get(path).content.decode()
        words = _latin_words(html) - {complaint.terminal_sn[:2]}
        assert not words, f"{path}: {sorted(words)}"


@pytest.mark.django_db
def test_switching_to_english(owner_client, complaint):
    response = owner_client.post(
        "/i18n/setlang/", {"language": "en", "next": "/cases/"}, follow=True
    )
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "My cases" in html
    assert "Total claimed (CNY)" in html


@pytest.mark.django_db
def test_password_rules_follow_the_request_language(client):
    english = client.get(
        "/accounts/signup/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "at least 8 characters" in english
    chinese = client.get("/accounts/signup/").content.decode()
    assert "至少" in chinese and "at least 8 characters" not in chinese
