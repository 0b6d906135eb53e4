"""Fill msgstr entries of the zh_Hans catalogue from a Python dict file.

    .venv/bin/python scripts/apply_translations.py translations.py

The file defines `T = {msgid: msgstr}` (plural msgids get msgstr[0]) and
optionally `CTX = {(msgctxt, msgid): msgstr}` for entries with a context. Only
untranslated or fuzzy entries are filled; the fuzzy flag is removed. Needs
polib (`pip install polib`); it is a maintainer tool, not a dependency.
"""

import runpy
import sys
from pathlib import Path

import polib

PO = (
    Path(__file__).resolve().parents[1]
    / "complaints/locale/zh_Hans/LC_MESSAGES/django.po"
)


def main(path: str) -> None:
    namespace = runpy.run_path(path)
    table = namespace["T"]
    with_context = namespace.get("CTX", {})
    catalogue = polib.pofile(str(PO), wrapwidth=0)
    filled, missing = 0, []
    for entry in catalogue:
        if entry.obsolete or (entry.translated() and "fuzzy" not in entry.flags):
            continue
        if entry.msgctxt:
            text = with_context.get((entry.msgctxt, entry.msgid))
        else:
            text = table.get(entry.msgid)
        if text is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
        entry.previous_msgid_plural = None
        entry.previous_msgctxt = None
        filled += 1
    catalogue.save(str(PO))
    print(f"filled {filled}; still missing {len(missing)}")
    for msgid in missing:
        print("  ", repr(msgid))


if __name__ == "__main__":
    main(sys.argv[1])
