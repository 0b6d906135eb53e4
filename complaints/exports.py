"""CSV export of the reviewers' case list.

Owns which columns leave the system in a spreadsheet: case facts and totals
only; never ID numbers, phone numbers, names, messages or internal notes.
Cells that a spreadsheet would read as a formula are neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Complaint

# Excel, LibreOffice and Google Sheets treat a cell starting with one of
# these as a formula (OWASP "CSV injection"); tab and CR too, since some
# importers strip them before looking at the next character.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Excel opens a CSV as UTF-8 only when it starts with a byte order mark.
BOM = "\ufeff"

# Rows fetched from the database at a time (server-side cursor on PostgreSQL).
CHUNK_SIZE = 500


def neutralise(value) -> str:
    """The cell as text, with a leading quote when it would start a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def days_waiting(complaint: Complaint, now: datetime | None = None) -> int | None:
    """Whole days since the last status change, or since submission."""
    since = getattr(complaint, "waiting_since", None) or complaint.submitted_at
    if since is None:
        return None
    now = now or timezone.now()
    return max((now - since).days, 0)


def header() -> list[str]:
    return [
        _("Case number"),
        _("Status"),
        _("Complainant type"),
        _("Province"),
        _("Institution"),
        _("Brand"),
        _("Total claimed (CNY)"),
        _("Amount recovered (CNY)"),
        _("Outcome"),
        _("Assignee"),
        _("Submitted"),
        _("Days waiting"),
    ]


def row(complaint: Complaint, now: datetime | None = None) -> list[str]:
    """One case as CSV cells. Expects the admin queryset's annotations."""
    submitted = complaint.submitted_at
    total = getattr(complaint, "total_claimed", None)
    return [
        complaint.number,
        complaint.get_status_display(),
        complaint.get_complainant_type_display(),
        complaint.get_province_display(),
        complaint.respondent_display,
        complaint.brand.name if complaint.brand_id else "",
        "" if total is None else f"{total:.2f}",
        ""
        if complaint.amount_recovered is None
        else f"{complaint.amount_recovered:.2f}",
        complaint.get_outcome_display(),
        str(complaint.assignee) if complaint.assignee_id else "",
        timezone.localtime(submitted).strftime("%Y-%m-%d %H:%M") if submitted else "",
        days_waiting(complaint, now),
    ]


class _Echo:
    """A file-like object whose write() hands back what it was given."""

    def write(self, value):
        return value


def rows(complaints: Iterable[Complaint]) -> Iterator[str]:
    """The CSV text, line by line: BOM, header, one line a case."""
    writer = csv.writer(_Echo())
    now = timezone.now()
    yield BOM + writer.writerow([neutralise(cell) for cell in header()])
    for complaint in complaints:
        yield writer.writerow([neutralise(cell) for cell in row(complaint, now)])


def export_queryset(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """Only the columns the export reads (no personal data is even fetched)."""
    return queryset.select_related("respondent_institution", "brand", "assignee").only(
        "number",
        "status",
        "complainant_type",
        "province",
        "respondent_name",
        "respondent_institution__name",
        "brand__name",
        "amount_recovered",
        "outcome",
        # The assignee's display name masks a phone number.
        "assignee__username",
        "assignee__phone",
        "assignee__email",
        "submitted_at",
    )


def _in_language(language: str | None, lines: Iterator[str]) -> Iterator[str]:
    # The body is written after the view returned, when the request's
    # language may no longer be active: labels keep the reader's language.
    with translation.override(language):
        yield from lines


def csv_filename() -> str:
    return f"cases-{timezone.localtime():%Y%m%d-%H%M}.csv"


def csv_response(queryset: QuerySet[Complaint], filename: str) -> StreamingHttpResponse:
    """Stream `queryset` as a CSV download that no cache keeps.

    Labels (header, status, outcome …) are in the language active now.
    """
    complaints = export_queryset(queryset).iterator(chunk_size=CHUNK_SIZE)
    response = StreamingHttpResponse(
        _in_language(translation.get_language(), rows(complaints)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
