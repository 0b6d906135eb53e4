"""Cells and links the reviewers' admin pages share: download links, letter
columns, where a filing's deadline stands, the rows a list may show.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import workflow
from ..models import (
    Complaint,
    Evidence,
    Filing,
    Letter,
)


def download_link(item: Evidence):
    url = reverse(
        "complaints:evidence_download", args=[item.complaint.public_id, item.public_id]
    )
    return format_html('<a href="{}">{}</a>', url, item.original_name)


def letter_download_link(letter: Letter):
    url = reverse("admin:complaints_letter_download", args=[letter.public_id])
    return format_html(
        '<a href="{}" data-testid="letter-download">{}</a>', url, _("Download")
    )


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


class ReadOnlyAdminMixin:
    """Admin pages (and inlines) where nobody adds, changes or deletes: what
    they show is written by the workflow or a service."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# A stored letter's columns, in the case's inline and the letters list.
LETTER_COLUMNS = (
    "channel",
    "language_name",
    "version",
    "created_at",
    "created_by",
    "file_size",
)


class LetterColumns:
    """The columns a stored letter shows in the case's inline and the list."""

    @admin.display(description=_("language"), ordering="language")
    def language_name(self, obj):
        return language_name(obj.language)

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("SHA-256"))
    def short_sha256(self, obj):
        return format_html('<span title="{}">{}</span>', obj.sha256, obj.sha256[:12])

    @admin.display(description=_("file"))
    def download(self, obj):
        return letter_download_link(obj)


def due_now_cell(filing: Filing, today: datetime.date):
    """The deadline that counts now, and how it stands."""
    state = deadline_html(filing, today)
    if filing.due_on is None:
        return state
    return format_html("{} {}", date_format(filing.due_on), state)


def days_since(moment) -> int | None:
    if moment is None:
        return None
    return max((timezone.now() - moment).days, 0)


def filing_add_url_for(complaint_id) -> str:
    return f"{reverse('admin:complaints_filing_add')}?complaint={complaint_id}"


# "Due soon" in the admin's filters: a deadline within this many days.
DUE_SOON_DAYS = 7


def int_or_none(value) -> int | None:
    if isinstance(value, Complaint):
        return value.pk
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def transition_error_text(error: workflow.TransitionError) -> str:
    reasons = [str(p.message) for p in error.problems]
    return " ".join([str(error.message), *reasons])


def deadline_state(filing, today) -> tuple[str, str]:
    """Where a filing's deadline stands: (kind, words), kind one of
    "overdue", "due", "answered", "none". (The words are the site's own.)"""
    if filing.due_on is not None:
        days = (filing.due_on - today).days
        if days < 0:
            return "overdue", ngettext(
                "%(days)s day overdue", "%(days)s days overdue", -days
            ) % {"days": -days}
        if days == 0:
            return "due", gettext("due today")
        return "due", ngettext("%(days)s day left", "%(days)s days left", days) % {
            "days": days
        }
    if filing.first_due_on is None:
        return "none", gettext("no clock")
    return "answered", gettext("answered")


def deadline_html(filing, today):
    """`deadline_state` for a cell: overdue in the admin's error red (its own
    stylesheet: no inline style under the Content-Security-Policy)."""
    kind, words = deadline_state(filing, today)
    if kind == "overdue":
        return format_html(
            '<ul class="errorlist deadline-overdue" data-deadline="overdue">'
            "<li>{}</li></ul>",
            words,
        )
    return format_html('<span data-deadline="{}">{}</span>', kind, words)
