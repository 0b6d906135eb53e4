"""Letters to HTML (the on-screen preview) and to PDF (WeasyPrint).

The same template renders the preview and the PDF. The PDF's fonts are the
Noto Serif SC subsets in `fonts/` (a GB2312 core and a GBK extension per
weight, see print.css), loaded by @font-face once per process; a
character they lack falls back to an installed CJK font when there is one,
and `unprintable_characters()` tells the preview which characters no font
can print. WeasyPrint fetches nothing but those fonts: its URL fetcher
refuses the network and every file outside the fonts folder.
"""

from __future__ import annotations

import atexit
import collections
import html
import logging
import shutil
import subprocess
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import strip_tags

logger = logging.getLogger("casetracker.letters")

LETTERS_DIR = Path(__file__).resolve().parent
FONT_DIR = LETTERS_DIR / "fonts"
PRINT_CSS = LETTERS_DIR / "print.css"
LETTER_CSS = LETTERS_DIR.parent.parent / "static" / "css" / "letter.css"
# Every font file shipped (fonts/README.md): the core fonts (ASCII, Latin-1,
# punctuation, full-width forms, GB2312) and the extension fonts (the rest
# of GBK), which print.css declares as the families "CT Serif" and
# "CT Serif Ext".
FONT_FILES = (
    "NotoSerifSC-Core-Regular.otf",
    "NotoSerifSC-Core-Bold.otf",
    "NotoSerifSC-Extension-Regular.otf",
    "NotoSerifSC-Extension-Bold.otf",
)

# Pango is not thread-safe and the font configuration is shared: one PDF at
# a time per process (a sync gunicorn worker renders one anyway).
_render_lock = threading.Lock()


def _weasyprint():
    """Import WeasyPrint, undoing its process-wide Pillow setting: it turns
    on LOAD_TRUNCATED_IMAGES, which would let truncated images through the
    evidence checks. Letters embed no images, so nothing here needs it."""
    import weasyprint
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


class LetterFetchRefused(ValueError):
    """WeasyPrint asked for a URL the letters may not load."""


def _fetcher_class():
    _weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class FontsOnlyFetcher(URLFetcher):
        """Serves the bundled font files and nothing else: no network, no
        data: URLs, no file:// outside `fonts/`. Refusals are counted."""

        # The latest refusals (for tests and debugging), bounded.
        refused = collections.deque(maxlen=50)

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "file" and not parts.netloc:
                path = Path(unquote(parts.path)).resolve()
                if path.parent == FONT_DIR and path.name in FONT_FILES:
                    return URLFetcherResponse(
                        url, path.read_bytes(), {"Content-Type": "font/otf"}
                    )
            type(self).refused.append(url)
            logger.warning("letter tried to load a refused URL: %.200s", url)
            raise LetterFetchRefused(f"refused: {url[:200]}")

    return FontsOnlyFetcher


@cache
def url_fetcher():
    """The one fetcher letters use (a class attribute records refusals)."""
    return _fetcher_class()()


@dataclass
class _Fonts:
    font_config: object
    stylesheets: list


@cache
def _fonts() -> _Fonts:
    """The font configuration and the stylesheets, made once per process:
    the fonts and page (print.css), then the letter's own styles, shared with
    the preview (static/css/letter.css)."""
    _weasyprint()
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    stylesheets = [
        CSS(
            filename=str(path),
            base_url=FONT_DIR.as_uri() + "/",
            url_fetcher=url_fetcher(),
            font_config=font_config,
        )
        for path in (PRINT_CSS, LETTER_CSS)
    ]
    return _Fonts(font_config, stylesheets)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@cache
def _page_stylesheet(language: str):
    """The footer "第 X 页 共 Y 页" in the letter's language (one per language)."""
    from django.utils.translation import gettext

    CSS = _weasyprint().CSS

    with translation.override(language):
        pattern = gettext("Page {page} of {pages}")
    before, _sep, rest = pattern.partition("{page}")
    middle, _sep, after = rest.partition("{pages}")
    content = " ".join(
        [
            _css_string(before),
            "counter(page)",
            _css_string(middle),
            "counter(pages)",
            _css_string(after),
        ]
    )
    return CSS(
        string=(
            "@page { @bottom-center { content: "
            + content
            + '; font-size: 9pt; color: #444; font-family: "CT Serif", '
            '"CT Serif Ext", "Noto Serif CJK SC", serif; } }'
        ),
        url_fetcher=url_fetcher(),
        font_config=_fonts().font_config,
    )


# Drop the font configuration before the interpreter tears modules down
# (WeasyPrint's FontConfiguration.__del__ needs them).
atexit.register(_fonts.cache_clear)


def warm_up() -> None:
    """Load the fonts now (for a worker's start) rather than on the first PDF."""
    _fonts()


def render_html(template_name: str, context: dict, *, language: str) -> str:
    """The letter's HTML fragment (the preview, and the body of the PDF)."""
    with translation.override(language):
        return render_to_string(template_name, context)


def render_pdf(template_name: str, context: dict, *, language: str) -> bytes:
    """The letter as PDF bytes (A4, fonts embedded and subset)."""
    HTML = _weasyprint().HTML

    with translation.override(language):
        body = render_to_string(template_name, context)
        document = render_to_string(
            "letters/pdf.html", {**context, "body": body, "language": language}
        )
    fonts = _fonts()
    with _render_lock:
        return HTML(
            string=document,
            base_url=FONT_DIR.as_uri() + "/",
            url_fetcher=url_fetcher(),
        ).write_pdf(
            stylesheets=[*fonts.stylesheets, _page_stylesheet(language)],
            font_config=fonts.font_config,
        )


# --- Characters the fonts cannot print --------------------------------------


@cache
def shipped_codepoints() -> frozenset[int]:
    """Every code point the bundled fonts cover: the union of the shipped
    files' cmaps (each weight's core and extension cover the same)."""
    from fontTools.ttLib import TTFont

    covered = set()
    for name in FONT_FILES:
        font = TTFont(FONT_DIR / name, lazy=True)
        try:
            covered.update(font.getBestCmap())
        finally:
            font.close()
    return frozenset(covered)


@cache
def installed_font_has(char: str) -> bool:
    """Whether a font installed on this machine has `char` (via fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        result = subprocess.run(
            [fc_list, f":charset={ord(char):x}", "family"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(result.stdout.strip())


@dataclass(frozen=True)
class GlyphReport:
    fallback: list[str]  # printed with an installed font, not the bundled one
    unprintable: list[str]  # no font here can print them


def glyph_report(letter_html: str) -> GlyphReport:
    """Which characters of the letter the bundled fonts lack, and of those,
    which no installed font can print either."""
    text = html.unescape(strip_tags(letter_html))
    covered = shipped_codepoints()
    missing = sorted(
        {
            ch
            for ch in text
            if ord(ch) not in covered
            and not ch.isspace()
            and unicodedata.category(ch)[0] not in ("C", "Z")
        }
    )
    fallback = [ch for ch in missing if installed_font_has(ch)]
    unprintable = [ch for ch in missing if ch not in fallback]
    return GlyphReport(fallback, unprintable)
