"""Complaints with everything a letter needs, and tools to read PDFs back.

Evidence rows here are made directly, without files: letters list evidence
(name, kind, purpose, SHA-256) but never open the files, and a letter with
sixty evidence items should not cost sixty uploads.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import factory
from django.core.files.base import ContentFile

from complaints import workflow
from complaints.models import (
    Channel,
    Evidence,
    Letter,
    LossItem,
    Status,
    letter_storage,
)
from tests.factories import ComplaintFactory, InstitutionFactory, LossItemFactory

# A loss table with a thousands separator, an amount whose capitals need a
# 零, one under a yuan, and two losses of the same category (one claim).
LOSSES = [
    (LossItem.Category.FROZEN_FUNDS, Decimal("12345.67"), "冻结的结算款"),
    (LossItem.Category.DEPOSIT, Decimal("299.00"), "未退还的押金"),
    (LossItem.Category.FEES, Decimal("10000.05"), "停机后扣除的服务费"),
    (LossItem.Category.FEES, Decimal("0.07"), "流量卡月费"),
]
TOTAL = Decimal("22644.79")
TOTAL_FIGURES = "22,644.79"
TOTAL_CAPITALS = "贰万贰仟陆佰肆拾肆元柒角玖分"
AMOUNTS_IN_FIGURES = ["12,345.67", "299.00", "10,000.05", "0.07"]

COMMISSION = "上海仲裁委员会"
RESPONDENT_ADDRESS = "上海市浦东新区示例大道100号"


class EvidenceRowFactory(factory.django.DjangoModelFactory):
    """An evidence row whose file is never read (letters list, not open)."""

    class Meta:
        model = Evidence

    kind = Evidence.Kind.SCREENSHOT
    purpose = factory.Sequence(lambda n: f"证明终端于2025年6月1日被停用（{n}）")
    is_original = True
    file = factory.Sequence(lambda n: f"letters-test/{n:08d}.png")
    original_name = factory.Sequence(lambda n: f"停机截图{n}.png")
    content_type = "image/png"
    size = 12345
    sha256 = factory.Sequence(
        lambda n: hashlib.sha256(f"evidence-{n}".encode()).hexdigest()
    )
    uploaded_by = factory.LazyAttribute(lambda o: o.complaint.owner)


def letter_ready_complaint(*, owner=None, losses=LOSSES, evidence=2, **fields):
    """A draft complaint with every fact every channel asks for: the
    respondent's address, the representative (used by enterprises), the
    claims, `losses` and `evidence` evidence rows."""
    values = {
        "respondent_address": RESPONDENT_ADDRESS,
        "representative_name": "赵六",
        "claims": ["release_funds", "refund_deposit", "refund_fees", "explain"],
        "deposit_paid": Decimal("299.00"),
    }
    values.update(fields)
    if owner is not None:
        values["owner"] = owner
    complaint = ComplaintFactory(**values)
    for position, (category, amount, description) in enumerate(losses):
        LossItemFactory(
            complaint=complaint,
            category=category,
            amount=amount,
            description=description,
            position=position,
        )
    EvidenceRowFactory.create_batch(evidence, complaint=complaint)
    return complaint


def channel(code: str) -> Channel:
    return Channel.objects.get(code=code)


def payment_institution(**fields):
    return InstitutionFactory(**fields)


def submit(complaint):
    """Submit the case as its owner, through the workflow (the only writer
    of status)."""
    complaint = workflow.transition(
        complaint, target=Status.SUBMITTED, actor=complaint.owner
    )
    assert complaint.status == Status.SUBMITTED
    return complaint


def stored_letter(complaint, user, *, code="institution") -> Letter:
    """A stored letter version of `complaint` with a stand-in PDF, for URL
    walks about answers and headers rather than the letter's content."""
    data = b"%PDF-1.7\n% a stored letter\n%%EOF\n"
    name = letter_storage().save("walk.pdf", ContentFile(data))
    return Letter.objects.create(
        complaint=complaint,
        channel=Channel.objects.get(code=code),
        language="zh-hans",
        version=1,
        file=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        fingerprint="0" * 64,
        created_by=user,
    )


# --- Reading PDFs back ------------------------------------------------------


def _with_pdf_file(data: bytes, args: list[str]) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "letter.pdf"
        path.write_bytes(data)
        result = subprocess.run(
            [*args, str(path), "-"] if args[0] == "pdftotext" else [*args, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    return result.stdout


def pdf_text(data: bytes, page: int | None = None) -> str:
    """The PDF's text as poppler's pdftotext reads it (one page or all), in
    the order it was drawn: WeasyPrint draws in document order, while
    pdftotext's layout analysis may put the last line of a paragraph before
    its first when a rotated watermark crosses it."""
    args = ["pdftotext", "-raw", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return _with_pdf_file(data, args)


def squash(text: str) -> str:
    """Text without any whitespace: long values (hashes, amounts) may be
    wrapped across lines and Chinese text has no spaces to keep."""
    return "".join(text.split())


def pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


@dataclass(frozen=True)
class PdfFont:
    name: str
    type: str
    embedded: bool
    subset: bool


def pdf_fonts(data: bytes) -> list[PdfFont]:
    """The fonts poppler's pdffonts lists (name, type, emb, sub)."""
    lines = _with_pdf_file(data, ["pdffonts"]).splitlines()
    fonts = []
    for line in lines[2:]:  # a header and a ruler
        parts = line.split()
        if len(parts) < 7:
            continue
        # name type… encoding emb sub uni object-number generation
        emb, sub = parts[-5], parts[-4]
        fonts.append(
            PdfFont(
                name=parts[0],
                type=" ".join(parts[1:-6]),
                embedded=emb == "yes",
                subset=sub == "yes",
            )
        )
    return fonts


FOOTER = re.compile(r"第(\d+)页共(\d+)页")
