"""Letters: the data one function builds from a case, the HTML and the PDF
read back with poppler (pdftotext, pdffonts) and pypdf, what a hostile
narrative can make WeasyPrint fetch (nothing), and the characters the
bundled fonts cannot print.
"""

import datetime
import re
import shutil
import socket
import subprocess
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.template import TemplateDoesNotExist
from django.utils import translation

from complaints.letters import context as letter_context
from complaints.letters import render
from complaints.models import LossItem
from complaints.reference_data import CHANNELS
from tests.factories import LossItemFactory
from tests.letter_factories import (
    AMOUNTS_IN_FIGURES,
    COMMISSION,
    FOOTER,
    LOSSES,
    TOTAL,
    TOTAL_CAPITALS,
    TOTAL_FIGURES,
    EvidenceRowFactory,
    channel,
    letter_ready_complaint,
    pdf_fonts,
    pdf_pages,
    pdf_text,
    squash,
)

pytestmark = pytest.mark.django_db

ZH = "zh-hans"
SEEDED_CODES = [c["code"] for c in CHANNELS]
# The titles a Chinese reader expects at the top of each letter.
ZH_TITLES = {
    "institution": "催告函",
    "court": "民事起诉状",
    "arbitration": "仲裁申请书",
}
# Bundled fonts as they are named in the PDF (print.css's @font-face
# families, as WeasyPrint writes them): the GB2312 core is "CT Serif", the
# rest of GBK "CT Serif Ext".
BUNDLED_FONT_NAMES = re.compile(r"^[A-Z]{6}\+CT-Serif(-Ext)?(-Bold)?$")
# The literal text of a narrative that tries to make WeasyPrint fetch.
HOSTILE = [
    "<b>x</b>",
    "<img src=file:///etc/passwd>",
    '<link rel=stylesheet href="http://127.0.0.1:9/x.css">',
    "<style>body{background:url(http://127.0.0.1:9/a.png)}</style>",
    "url(http://127.0.0.1:9/b.png)",
]


def core_characters() -> frozenset[str]:
    """What the core fonts draw: GB2312 and the Latin and punctuation blocks."""
    from fontTools.ttLib import TTFont

    font = TTFont(render.FONT_DIR / "NotoSerifSC-Core-Regular.otf", lazy=True)
    return frozenset(map(chr, font.getBestCmap()))


def build(complaint, code="institution", *, language=ZH, draft=False, **kwargs):
    """(context, channel) for a freshly loaded complaint, in `language`."""
    ch = channel(code)
    loaded = letter_context.load_complaint(complaint.pk)
    with translation.override(language):
        data = letter_context.build_context(loaded, ch, draft=draft, **kwargs)
    return data, ch


def pdf_for(complaint, code="institution", *, language=ZH, draft=False):
    data, ch = build(complaint, code, language=language, draft=draft)
    return render.render_pdf(ch.letter_template, data, language=language)


def html_for(complaint, code="institution", *, language=ZH, draft=False):
    data, ch = build(complaint, code, language=language, draft=draft)
    return render.render_html(ch.letter_template, data, language=language)


def letter_channel_codes():
    return [c["code"] for c in CHANNELS if c.get("letter_template")]


class _TableHeads(HTMLParser):
    """The header cell texts of each table, by the table's class."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.heads: dict[str, list[str]] = {}
        self._table = None
        self._in_head = False
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("class", "")
            self.heads[self._table] = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "th" and self._in_head:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "th" and self._cell is not None:
            self.heads[self._table].append(self._cell.strip())
            self._cell = None
        elif tag == "thead":
            self._in_head = False


def table_heads(html: str) -> dict[str, list[str]]:
    parser = _TableHeads()
    parser.feed(html)
    return parser.heads


# --- Amounts in capitals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("10000.05", "壹万元零伍分"),
        ("100", "壹佰元整"),
        ("100.00", "壹佰元整"),
        ("0.07", "柒分"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("22644.79", TOTAL_CAPITALS),
        ("0", "零元整"),
        ("99999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_capitals(amount, capitals):
    assert letter_context.amount_in_capitals(Decimal(amount)) == capitals


# --- The letter's data ------------------------------------------------------------


def test_losses_are_numbered_and_totalled_exactly():
    data, _ch = build(letter_ready_complaint())

    assert [row["number"] for row in data["losses"]] == [1, 2, 3, 4]
    assert [row["amount"] for row in data["losses"]] == [a for _c, a, _d in LOSSES]
    assert data["total"] == TOTAL
    assert isinstance(data["total"], Decimal)
    assert data["total_capitals"] == TOTAL_CAPITALS


def test_claims_are_itemised_per_loss_category_with_summed_amounts():
    complaint = letter_ready_complaint(
        claims=["release_funds", "refund_fees", "interest", "stop_fees", "explain"],
        claims_other="赔礼道歉",
    )

    data, _ch = build(complaint, language="en")

    claims = [(c["number"], c["text"], c["amount"]) for c in data["claims"]]
    assert claims == [
        (
            1,
            "pay out the frozen or unsettled settlement funds",
            Decimal("12345.67"),
        ),
        (2, "refund the deposit or activation fee", Decimal("299.00")),
        (
            3,
            "refund the service, SIM and membership fees deducted",
            Decimal("10000.12"),  # 10,000.05 + 0.07, one claim per category
        ),
        (4, "stop deducting any fees", None),
        (
            5,
            "explain in writing why and on what basis the terminal was deactivated",
            None,
        ),
        # Ticked, with no loss listed: asked for, unpriced.
        (6, "pay interest on the funds withheld", None),
        (7, "赔礼道歉", None),
    ]


def test_the_claimed_amounts_add_up_to_the_total():
    data, _ch = build(letter_ready_complaint())

    assert sum(c["amount"] for c in data["claims"] if c["amount"]) == data["total"]


def test_rejected_evidence_is_left_out_and_the_rest_renumbered():
    complaint = letter_ready_complaint(evidence=0)
    first = EvidenceRowFactory(complaint=complaint)
    rejected = EvidenceRowFactory(complaint=complaint, verdict="rejected")
    verified = EvidenceRowFactory(complaint=complaint, verdict="verified")

    data, _ch = build(complaint)

    assert [(e["number"], e["sha256"]) for e in data["evidence"]] == [
        (1, first.sha256),
        (2, verified.sha256),
    ]
    assert rejected.sha256 not in str(data)


@pytest.mark.parametrize(
    ("id_number", "gender", "birth_date"),
    [
        ("11010519491231002X", "female", datetime.date(1949, 12, 31)),
        ("110105198511201218", "male", datetime.date(1985, 11, 20)),
    ],
)
def test_gender_and_birth_date_come_from_a_valid_id(id_number, gender, birth_date):
    complaint = letter_ready_complaint(id_number=id_number)

    data, _ch = build(complaint, language="en")

    assert data["complainant"]["gender"] == gender
    assert data["complainant"]["birth_date"] == birth_date


@pytest.mark.parametrize(
    ("ctype", "id_number"),
    [
        ("individual", "110105194912310021"),  # wrong check digit
        ("sole_trader", "11010519491231002X"),  # a business's party row
        ("enterprise", "91310000MA1FL0000X"),
    ],
)
def test_no_gender_or_birth_date_without_a_valid_personal_id(ctype, id_number):
    complaint = letter_ready_complaint(complainant_type=ctype, id_number=id_number)

    data, _ch = build(complaint)

    assert data["complainant"]["gender"] is None
    assert data["complainant"]["birth_date"] is None


def test_the_fingerprint_is_stable_and_ignores_date_and_watermark():
    complaint = letter_ready_complaint()

    first, _ch = build(complaint)
    again, _ch = build(complaint)
    later, _ch = build(complaint, letter_date=datetime.date(2030, 1, 2))
    draft, _ch = build(complaint, draft=True)

    assert len(first["fingerprint"]) == 64
    assert first["fingerprint"] == again["fingerprint"]
    assert later["letter_date"] == datetime.date(2030, 1, 2)
    assert later["fingerprint"] == first["fingerprint"]
    assert draft["fingerprint"] == first["fingerprint"]


def test_the_fingerprint_changes_with_every_kind_of_fact():
    complaint = letter_ready_complaint()
    seen = {build(complaint)[0]["fingerprint"]}

    def changed():
        value = build(complaint)[0]["fingerprint"]
        assert value not in seen
        seen.add(value)

    loss = complaint.loss_items.order_by("position").first()
    LossItem.objects.filter(pk=loss.pk).update(amount=Decimal("12345.68"))
    changed()
    type(complaint).objects.filter(pk=complaint.pk).update(narrative="另一段事实经过。")
    changed()
    type(complaint).objects.filter(pk=complaint.pk).update(
        respondent_address="北京市西城区另一地址"
    )
    changed()
    EvidenceRowFactory(complaint=complaint)
    changed()
    LossItemFactory(complaint=complaint, amount=Decimal("1.00"), position=9)
    changed()


def test_the_fingerprint_differs_between_channels_and_languages():
    complaint = letter_ready_complaint()

    values = {
        build(complaint, code, language=language)[0]["fingerprint"]
        for code in ("institution", "court")
        for language in (ZH, "en")
    }

    assert len(values) == 4


@pytest.mark.parametrize("code", letter_channel_codes())
def test_context_and_html_run_no_query_after_loading(code, django_assert_num_queries):
    complaint = letter_ready_complaint(arbitration_commission=COMMISSION, evidence=3)
    loaded = letter_context.load_complaint(complaint.pk)
    ch = channel(code)

    with django_assert_num_queries(0):
        with translation.override(ZH):
            data = letter_context.build_context(loaded, ch, draft=False)
        html = render.render_html(ch.letter_template, data, language=ZH)

    assert complaint.number in html


def test_loading_a_complaint_for_letters_takes_three_queries(
    django_assert_num_queries,
):
    complaint = letter_ready_complaint(evidence=4)

    with django_assert_num_queries(3):
        loaded = letter_context.load_complaint(complaint.pk)

    assert len(loaded.evidence.all()) == 4


# --- HTML --------------------------------------------------------------------------


@pytest.mark.parametrize("code", letter_channel_codes())
def test_every_seeded_letter_template_exists(code):
    ch = channel(code)
    try:
        html = html_for(letter_ready_complaint(arbitration_commission=COMMISSION), code)
    except TemplateDoesNotExist:  # pragma: no cover - the failure message
        pytest.fail(f"{ch.letter_template} is missing")

    assert f'<article class="letter letter-{code}' in html


@pytest.mark.parametrize("code", letter_channel_codes())
def test_the_chinese_letter_has_no_english_left_in_it(code):
    """Every sentence of a Chinese letter is Chinese: only identifiers
    (the case number, hashes, SN, file names) and SHA-256 stay Latin."""
    complaint = letter_ready_complaint(arbitration_commission=COMMISSION)
    html = html_for(complaint, code)
    text = re.sub(r"<[^>]+>", " ", html)
    for value in (complaint.number, complaint.terminal_sn):
        text = text.replace(value, " ")
    text = re.sub(r"\b[0-9a-f]{64}\b", " ", text)
    text = re.sub(r"\S+\.png", " ", text)

    words = set(re.findall(r"[A-Za-z]{2,}", text)) - {"SHA", "POS", "SN"}

    assert not words, sorted(words)[:20]


CITATION = re.compile(r"(《[^》]+》)(第[零一二三四五六七八九十百千]+条)")


@pytest.mark.parametrize("code", letter_channel_codes())
def test_letters_cite_only_articles_of_the_reference_texts(code):
    """Every 《…》第…条 a letter prints is an article law.py reads from the
    vendored statutes, quoted under the same citation."""
    from complaints.letters import law

    statutes = {statute for _file, statute in law.STATUTES.values()}
    html = html_for(letter_ready_complaint(arbitration_commission=COMMISSION), code)
    known = {law.article(key).citation for key in channel(code).letter_articles}

    cited = {statute + label for statute, label in CITATION.findall(html)}

    assert cited, "a letter states its legal basis"
    assert {c for c in cited if c.split("》")[0] + "》" not in statutes} == set()
    # What it quotes, and nothing it does not quote.
    assert cited == known


# --- PDF read back -----------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ZH_TITLES))
def test_pdf_reads_back_title_case_number_amounts_and_hashes(code):
    complaint = letter_ready_complaint(arbitration_commission=COMMISSION, evidence=3)
    hashes = list(complaint.evidence.values_list("sha256", flat=True))

    pdf = pdf_for(complaint, code)

    text = pdf_text(pdf)
    flat = squash(text)
    assert pdf.startswith(b"%PDF-")
    assert complaint.number in flat
    for amount in AMOUNTS_IN_FIGURES:
        assert amount in flat, amount
    assert TOTAL_FIGURES in flat
    assert TOTAL_CAPITALS in flat
    for sha256 in hashes:
        assert len(sha256) == 64
        assert sha256 in flat, sha256
    assert ZH_TITLES[code] in flat


@pytest.mark.parametrize("code", letter_channel_codes())
def test_every_channels_pdf_has_the_case_total_and_evidence(code):
    complaint = letter_ready_complaint(arbitration_commission=COMMISSION)

    flat = squash(pdf_text(pdf_for(complaint, code)))

    assert complaint.number in flat
    assert TOTAL_FIGURES in flat
    assert TOTAL_CAPITALS in flat
    for sha256 in complaint.evidence.values_list("sha256", flat=True):
        assert sha256 in flat


def test_every_page_has_its_number_and_the_page_count_in_chinese():
    complaint = letter_ready_complaint()
    pdf = pdf_for(complaint)
    pages = pdf_pages(pdf)

    assert pages >= 2
    for page in range(1, pages + 1):
        flat = squash(pdf_text(pdf, page=page))
        assert complaint.number in flat, "the case number heads every page"
        assert f"第{page}页共{pages}页" in flat, (page, flat[-80:])


def test_english_reference_letter_numbers_pages_in_english():
    pdf = pdf_for(letter_ready_complaint(), language="en")

    pages = pdf_pages(pdf)
    assert f"Page 1 of {pages}" in pdf_text(pdf, page=1)
    assert not FOOTER.search(squash(pdf_text(pdf)))


def test_a_draft_is_watermarked_草稿_and_a_final_letter_is_not():
    complaint = letter_ready_complaint()

    draft = pdf_for(complaint, draft=True)
    final = pdf_for(complaint, draft=False)

    for page in range(1, pdf_pages(draft) + 1):
        assert "草稿" in squash(pdf_text(draft, page=page)), page
    assert "草稿" not in squash(pdf_text(final))
    assert "DRAFT" not in pdf_text(final)


def test_fonts_are_embedded_and_subset():
    pdf = pdf_for(letter_ready_complaint(), "court")

    fonts = pdf_fonts(pdf)

    assert any(BUNDLED_FONT_NAMES.match(f.name) for f in fonts)
    assert any("CT-Serif" in f.name for f in fonts), "the body is in CT Serif"
    for font in fonts:
        assert font.embedded, font
        assert font.subset, font


def test_every_font_in_the_pdf_is_a_bundled_one():
    """Never a font of the machine that happened to render the letter: on
    another server it would be missing or different (DESIGN.md section 6)."""
    pdf = pdf_for(letter_ready_complaint(), "court")

    fonts = pdf_fonts(pdf)

    assert [f.name for f in fonts if not BUNDLED_FONT_NAMES.match(f.name)] == []


def test_a_letter_in_gb2312_embeds_only_the_core_fonts():
    """Nearly every letter: only the two small core fonts, which WeasyPrint
    subsets much faster than GBK fonts; no sans (headers and footers, amounts
    and hashes are in the serif too)."""
    pdf = pdf_for(letter_ready_complaint(), "court")
    text = squash(pdf_text(pdf))
    assert set(text) - core_characters() == set()  # the premise

    names = {f.name.split("+", 1)[1] for f in pdf_fonts(pdf)}

    assert names == {"CT-Serif", "CT-Serif-Bold"}


def test_a_name_outside_gb2312_is_printed_with_the_extension_font():
    """堃 喆 珺 are GBK, not GB2312: the extension font must be embedded and
    draw them. Were the two files one family, WeasyPrint would draw the
    extension's glyphs with the core file: wrong characters on paper while
    pdftotext still reads 堃. Hence the check on the embedded fonts, not only
    on the text."""
    complaint = letter_ready_complaint(
        complainant_name="王堃", narrative="李喆、张珺在场，可以作证。"
    )

    pdf = pdf_for(complaint, "court")

    names = {f.name.split("+", 1)[1] for f in pdf_fonts(pdf)}
    assert "CT-Serif-Ext" in names
    assert names <= {"CT-Serif", "CT-Serif-Bold", "CT-Serif-Ext", "CT-Serif-Ext-Bold"}
    text = squash(pdf_text(pdf))
    for name in ("王堃", "李喆", "张珺"):
        assert name in text


def test_a_long_letter_repeats_the_table_headers_on_every_page():
    losses = [
        (
            LossItem.Category.FEES,
            Decimal(f"{100 + n}.{n:02d}"),
            f"第{n:02d}笔扣费",
        )
        for n in range(40)
    ]
    complaint = letter_ready_complaint(losses=losses, evidence=60)
    hashes = list(complaint.evidence.values_list("sha256", flat=True))
    html = html_for(complaint)
    heads = table_heads(html)
    loss_head = next(v for k, v in heads.items() if "losses" in k)
    evidence_head = next(v for k, v in heads.items() if "evidence" in k)
    assert loss_head and evidence_head, "letter tables need a <thead>"

    pdf = pdf_for(complaint)

    pages = pdf_pages(pdf)
    assert pages >= 4
    texts = {p: squash(pdf_text(pdf, page=p)) for p in range(1, pages + 1)}
    loss_pages = {p for p, t in texts.items() if any(d in t for _c, _a, d in losses)}
    evidence_pages = {p for p, t in texts.items() if any(h[:16] in t for h in hashes)}
    assert len(evidence_pages) >= 2, "sixty hashes do not fit on one page"
    for page in loss_pages:
        for cell in loss_head:
            assert squash(cell) in texts[page], (page, cell)
    for page in evidence_pages:
        for cell in evidence_head:
            assert squash(cell) in texts[page], (page, cell)
    # Every row arrived, every hash in full.
    flat = "".join(texts.values())
    for sha256 in hashes:
        assert sha256 in flat
    for _c, amount, _d in losses:
        assert f"{amount:,.2f}" in flat
    total = sum(a for _c, a, _d in losses)
    assert f"{total:,.2f}" in flat
    assert letter_context.amount_in_capitals(total) in flat


def test_the_same_facts_render_the_same_pdf_text():
    complaint = letter_ready_complaint()

    assert pdf_text(pdf_for(complaint)) == pdf_text(pdf_for(complaint))


# --- Nothing is fetched --------------------------------------------------------------


@pytest.fixture
def refused(monkeypatch):
    """The fetcher's record of refused URLs, emptied for this test."""
    fetcher_class = type(render.url_fetcher())
    monkeypatch.setattr(fetcher_class, "refused", [])
    return fetcher_class.refused


@pytest.fixture
def connections(monkeypatch):
    """Every socket connection attempted while the test runs (none made).

    Recorded rather than raised: WeasyPrint swallows a fetcher's errors, so
    a raise inside it would not fail the test."""
    attempts = []

    def connect(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("no network in letter tests")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    return attempts


def test_a_hostile_narrative_is_printed_as_text_and_fetches_nothing(
    refused, connections
):
    payload = " ".join(HOSTILE)
    complaint = letter_ready_complaint(narrative=payload)
    html = html_for(complaint, draft=True)

    pdf = pdf_for(complaint, draft=True)

    flat = squash(pdf_text(pdf))
    for literal in HOSTILE:
        assert squash(literal) in flat, literal
    assert "<img" not in html
    assert "<link" not in html
    assert "<style" not in html
    assert refused == []
    assert connections == []


def test_hostile_text_in_every_user_field_fetches_nothing(refused, connections):
    payload = '<img src="http://127.0.0.1:9/p.png"> url(file:///etc/passwd)'
    complaint = letter_ready_complaint(
        complainant_name=payload[:100],
        address=payload,
        respondent_address=payload,
        claims_other=payload,
        deactivation_notice_detail=payload,
        prior_contact_detail=payload,
        evidence=0,
    )
    EvidenceRowFactory(complaint=complaint, purpose=payload, original_name=payload)
    LossItemFactory(complaint=complaint, description=payload, position=9)

    for code in ("institution", "court"):
        flat = squash(pdf_text(pdf_for(complaint, code)))
        assert squash('<img src="http://127.0.0.1:9/p.png">') in flat

    assert refused == []
    assert connections == []


def test_even_a_hostile_template_cannot_fetch(settings, tmp_path, refused, connections):
    """The fetcher, not the escaping alone, is what stops a fetch: a letter
    template that asks for files and URLs gets none of them."""
    folder = tmp_path / "templates" / "letters"
    folder.mkdir(parents=True)
    (folder / "hostile.html").write_text(
        '<p>before</p><img src="file:///etc/passwd">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '<div class="x" style="background: url(http://127.0.0.1:9/a.png)">x</div>'
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        "<p>after</p>",
        encoding="utf-8",
    )
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]],
        }
    ]
    data, _ch = build(letter_ready_complaint())

    pdf = render.render_pdf("letters/hostile.html", data, language=ZH)

    assert "after" in pdf_text(pdf)
    assert connections == []
    assert {url.split(",")[0] for url in refused} >= {
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "http://127.0.0.1:9/a.png",
    }


def test_the_fetcher_serves_the_bundled_fonts(refused):
    fetcher = render.url_fetcher()

    for name in render.FONT_FILES:
        response = fetcher.fetch((render.FONT_DIR / name).as_uri())
        body = response.read()
        assert body == (render.FONT_DIR / name).read_bytes()
        assert body[:4] == b"OTTO"
    assert refused == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://fonts.example.org/font.otf",
        "ftp://127.0.0.1/x",
        "data:text/css,body%7Bbackground:red%7D",
        "data:font/otf;base64,T1RUTw==",
        "FONTS/../law/README.md",
        "FONTS/%2e%2e/law/README.md",
        "FONTS/OFL.txt",
        "FONTS/../fonts/../../letters/law.py",
        "file://localhost/etc/passwd",
    ],
)
def test_the_fetcher_refuses_everything_else(url, refused, connections):
    url = url.replace("FONTS", render.FONT_DIR.as_uri())
    fetcher = render.url_fetcher()

    with pytest.raises(render.LetterFetchRefused):
        fetcher.fetch(url)

    assert refused == [url]
    assert connections == []


# --- Characters the fonts cannot print -------------------------------------------------


def test_a_character_outside_the_font_is_a_fallback_when_a_font_here_has_it(
    monkeypatch,
):
    monkeypatch.setattr(render, "installed_font_has", lambda char: char == "𠮷")

    report = render.glyph_report("<p>吉𠮷祥</p>")

    assert report.fallback == ["𠮷"]
    assert report.unprintable == []


def test_a_character_no_font_has_is_unprintable(monkeypatch):
    monkeypatch.setattr(render, "installed_font_has", lambda char: False)

    report = render.glyph_report("<p>吉𠮷 and &#x9FD0;</p>")

    assert report.fallback == []
    assert report.unprintable == ["\u9fd0", "𠮷"]  # in code point order


def test_common_name_characters_outside_gb2312_are_in_the_bundled_font(monkeypatch):
    def must_not_be_asked(char):  # pragma: no cover - the failure message
        raise AssertionError(f"{char!r} should be in the bundled font")

    monkeypatch.setattr(render, "installed_font_has", must_not_be_asked)

    report = render.glyph_report("<p>王堃 李喆 张珺 陈昇 ￥12,345.67 （一）</p>")

    assert report.fallback == []
    assert report.unprintable == []


def test_the_installed_font_check_asks_fontconfig():
    """The real check against this machine's fonts: a private-use character
    is in no font; U+20BB7 is exactly when fontconfig lists a font for it."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.skip("fontconfig is not installed")
    listed = subprocess.run(
        [fc_list, ":charset=20bb7", "family"], capture_output=True, text=True
    ).stdout.strip()
    render.installed_font_has.cache_clear()

    assert render.installed_font_has("\ue000") is False
    assert render.installed_font_has("𠮷") is bool(listed)


def test_a_name_with_a_rare_character_is_printed_when_a_font_here_has_it():
    if not render.installed_font_has("𠮷"):
        pytest.skip("no installed font has U+20BB7")
    complaint = letter_ready_complaint(complainant_name="吉𠮷")

    pdf = pdf_for(complaint)

    assert "吉𠮷" in pdf_text(pdf)
