"""Build the CJK font subsets shipped in complaints/letters/fonts/.

    .venv/bin/python scripts/build_fonts.py [--out DIR] [--jobs N]

Sources are Debian's ``fonts-noto-cjk`` .ttc collections (SIL OFL 1.1). For
each collection the Simplified Chinese face is found by reading every face's
name table (PostScript name ``NotoSerifCJKsc-{Regular,Bold}``); the face is
then subset with fontTools' subsetter (the ``pyftsubset`` machinery) twice:

- the core font: ASCII, Latin-1, General Punctuation, CJK Symbols and
  Punctuation, Halfwidth and Fullwidth Forms, ¥ ￥ € and every character of
  GB2312 (the GB2312 area of GBK): what almost every letter uses;
- the extension font: the rest of GBK (characters such as 堃 喆 珺 昇 in
  names), nothing that is in the core.

Together they cover exactly what one GBK subset would. WeasyPrint subsets
each font a PDF uses again at every render, and a large font costs more: a
letter in GB2312 text uses only the ~2.2 MB core fonts, not 7 MB GBK fonts
(see complaints/letters/fonts/README.md). Layout features are restricted to
those horizontal Chinese text uses, vertical metrics and hinting are
dropped, and glyph names are not kept.

The output is byte-identical on every run from the same source package and
fontTools version: no timestamps are recalculated (``head.modified`` keeps
the source's value), table order is fixed and nothing random is involved.
The SIL OFL 1.1 text is copied next to the fonts as ``OFL.txt``.

Exits with status 2 and a message if the source package is not installed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "complaints" / "letters" / "fonts"
SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
COPYRIGHT_FILE = Path("/usr/share/doc/fonts-noto-cjk/copyright")

# (source collection, PostScript name of the SC face, output file name, part)
FONTS = [
    (
        "NotoSerifCJK-Regular.ttc",
        "NotoSerifCJKsc-Regular",
        "NotoSerifSC-Core-Regular.otf",
        "core",
    ),
    (
        "NotoSerifCJK-Bold.ttc",
        "NotoSerifCJKsc-Bold",
        "NotoSerifSC-Core-Bold.otf",
        "core",
    ),
    (
        "NotoSerifCJK-Regular.ttc",
        "NotoSerifCJKsc-Regular",
        "NotoSerifSC-Extension-Regular.otf",
        "extension",
    ),
    (
        "NotoSerifCJK-Bold.ttc",
        "NotoSerifCJKsc-Bold",
        "NotoSerifSC-Extension-Bold.otf",
        "extension",
    ),
]
# No sans: the PDFs set everything (headings, header and footer, amounts,
# hashes) in the serif, so that a letter embeds two fonts, not four.

# Unicode blocks kept whole, in the core font (inclusive ranges).
RANGES = [
    (0x0020, 0x007E),  # ASCII printable
    (0x00A0, 0x00FF),  # Latin-1 Supplement (includes the yen/RMB sign U+00A5)
    (0x2000, 0x206F),  # General Punctuation
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms (includes U+FFE5 ￥)
]
# Explicit extras: RMB signs and the capitals used for amounts (all in GBK
# already; listed so the intent survives a change of the GBK enumeration).
EXTRA = "¥￥€" + "零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整圆"

# Only what horizontal Chinese text needs. Everything else (vert, vrt2, vkna,
# jp78/83/90/04, hojo, nlck, hkna, pwid/fwid/hwid, halt/vhal/vpal, locl for
# JP/KR/TC/HK glyphs, ...) is dropped.
LAYOUT_FEATURES = ["ccmp", "kern", "liga", "mark", "mkmk", "palt"]
DROP_TABLES = ["vhea", "vmtx", "VORG"]


def double_byte_characters(codec: str) -> set[str]:
    """Every character ``codec`` decodes from a GBK double-byte code (81-FE, 40-FE)."""
    chars = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                chars.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                continue
    return chars


def gbk_characters() -> set[str]:
    """GBK as decoded by Python's ``gbk`` codec, plus the code points other
    decoders give the same bytes: ``gb2312`` (A1A4 is U+30FB, not U+00B7) and
    the GB18030 two-byte area (radicals, some CJK Ext-A, U+20AC at 80), as
    browsers decode "GBK" text with GB18030. Private-use code points are left
    out: no font can be expected to agree on them."""
    chars = set()
    for codec in ("gbk", "gb2312", "gb18030"):
        chars |= double_byte_characters(codec)
    return {c for c in chars if not 0xE000 <= ord(c) <= 0xF8FF}


def gb2312_characters() -> set[str]:
    """The GB2312 area (lead and trail bytes A1 to FE, lead at most F7) as
    the ``gb2312``, ``gbk`` and ``gb18030`` codecs decode it: GB2312 itself,
    the code points the decoders disagree on (A1A4 is U+30FB or U+00B7), and
    the few symbols GBK put in GB2312's empty cells (small roman numerals,
    vertical punctuation, pinyin letters). Private-use code points are left
    out, as in ``gbk_characters()``."""
    chars = set()
    for codec in ("gb2312", "gbk", "gb18030"):
        for lead in range(0xA1, 0xF8):
            for trail in range(0xA1, 0xFF):
                try:
                    chars.add(bytes((lead, trail)).decode(codec))
                except UnicodeDecodeError:
                    continue
    return {c for c in chars if not 0xE000 <= ord(c) <= 0xF8FF}


def unicodes() -> list[int]:
    """Every code point shipped: the core and the extension fonts together."""
    codepoints = set(core_unicodes())
    codepoints.update(ord(c) for c in gbk_characters())
    return sorted(codepoints)


def core_unicodes() -> list[int]:
    """The core font's code points: the blocks, the extras and GB2312."""
    codepoints = set()
    for start, end in RANGES:
        codepoints.update(range(start, end + 1))
    codepoints.update(ord(c) for c in gb2312_characters())
    codepoints.update(ord(c) for c in EXTRA)
    return sorted(codepoints)


def extension_unicodes() -> list[int]:
    """The extension font's code points: the rest of GBK, none of the core."""
    return sorted(set(unicodes()) - set(core_unicodes()))


PARTS = {"core": core_unicodes, "extension": extension_unicodes}


def find_face(path: Path, ps_name: str) -> int:
    """Index of the face whose PostScript name (name ID 6) is ``ps_name``."""
    collection = TTCollection(str(path), lazy=True)
    try:
        for index, face in enumerate(collection.fonts):
            if face["name"].getDebugName(6) == ps_name:
                return index
    finally:
        collection.close()
    raise SystemExit(f"error: no face named {ps_name!r} in {path}")


def options(font_number: int) -> subset.Options:
    opts = subset.Options()
    opts.font_number = font_number
    opts.layout_features = list(LAYOUT_FEATURES)
    opts.drop_tables = list(opts.drop_tables) + DROP_TABLES
    opts.hinting = False
    opts.glyph_names = False
    opts.notdef_outline = True
    opts.recalc_timestamp = False  # keep the source's head.modified
    opts.recalc_bounds = True
    opts.flavor = None  # plain OpenType (CFF) .otf
    opts.name_IDs = ["*"]
    opts.name_languages = [0x0409]
    return opts


def build_one(
    source: str, ps_name: str, out_name: str, part: str, out_dir: str
) -> tuple[str, int, int]:
    path = SOURCE_DIR / source
    index = find_face(path, ps_name)
    opts = options(index)
    font = subset.load_font(str(path), opts, lazy=False)
    try:
        subsetter = subset.Subsetter(options=opts)
        subsetter.populate(unicodes=PARTS[part]())
        subsetter.subset(font)
        target = Path(out_dir) / out_name
        partial = target.with_name(target.name + ".partial")
        subset.save_font(font, str(partial), opts)
        partial.replace(target)  # readers never see a half-written font
    finally:
        font.close()
    return out_name, index, target.stat().st_size


def write_licence(out_dir: Path, copyright_line: str) -> None:
    """OFL.txt: the font's copyright notice followed by the SIL OFL 1.1 text."""
    text = COPYRIGHT_FILE.read_text(encoding="utf-8")
    marker = "License: SIL-1.1\n -----"
    start = text.index(marker) + len("License: SIL-1.1\n")
    lines = []
    for line in text[start:].splitlines():
        if not line.startswith(" "):
            break
        body = line[1:]
        lines.append("" if body == "." else body)
    while lines and not lines[-1]:
        lines.pop()
    header = (
        f"{copyright_line}\n\n"
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
        "This license is copied below, and is also available with a FAQ at:\n"
        "https://openfontlicense.org\n\n"
    )
    (out_dir / "OFL.txt").write_text(header + "\n".join(lines) + "\n", encoding="utf-8")


def check_sources() -> None:
    missing = [
        str(SOURCE_DIR / source)
        for source in sorted({font[0] for font in FONTS})
        if not (SOURCE_DIR / source).is_file()
    ]
    if not COPYRIGHT_FILE.is_file():
        missing.append(str(COPYRIGHT_FILE))
    if missing:
        sys.stderr.write(
            "error: the Noto CJK source fonts are not installed:\n  "
            + "\n  ".join(missing)
            + "\nInstall them with: apt-get install fonts-noto-cjk\n"
        )
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(len(FONTS), os.cpu_count() or 1),
        help="parallel builds",
    )
    args = parser.parse_args(argv)

    check_sources()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    jobs = [(*font, str(args.out)) for font in FONTS]
    # The extension fonts take longest: start them first.
    order = sorted(range(len(jobs)), key=lambda i: jobs[i][3] != "extension")
    if args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = {i: pool.submit(build_one, *jobs[i]) for i in order}
            results = [futures[i].result() for i in range(len(jobs))]
    else:
        results = [build_one(*job) for job in jobs]

    first = TTCollection(str(SOURCE_DIR / FONTS[0][0]), lazy=True)
    try:
        copyright_line = first.fonts[results[0][1]]["name"].getDebugName(0)
    finally:
        first.close()
    write_licence(args.out, copyright_line)

    total = 0
    for (source, _, _, part), (name, index, size) in zip(FONTS, results, strict=True):
        total += size
        print(f"{name:34} {size / 1e6:6.2f} MB  {part:9}  (face {index} of {source})")
    print(
        f"{'total':34} {total / 1e6:6.2f} MB  in {time.monotonic() - started:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
