"""The rows shown on a case's admin page, all read-only here: losses,
evidence, letters, filings, the timeline, messages and notes.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import (
    Evidence,
    Filing,
    Letter,
    LossItem,
    Message,
    StatusChange,
)
from .display import (
    LETTER_COLUMNS,
    LetterColumns,
    ReadOnlyAdminMixin,
    download_link,
    due_now_cell,
)


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Rows shown on the case page that nobody edits here: losses and
    evidence belong to the user, the timeline to the workflow, messages to
    `services.message_post`."""

    extra = 0
    can_delete = False


class LossItemInline(ReadOnlyInline):
    model = LossItem
    fields = ("category", "amount", "occurred_on", "description")
    readonly_fields = fields


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = (
        "created_at",
        "from_status",
        "to_status",
        "actor",
        "note",
        "visible_to_user",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class MessageInline(ReadOnlyInline):
    """Messages with the user and internal notes, read-only (new ones are
    posted with the form below the case, through `services.message_post`)."""

    model = Message
    fields = ("created_at", "author", "internal", "body")
    readonly_fields = fields
    verbose_name_plural = _("messages and internal notes")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class LetterInline(LetterColumns, ReadOnlyInline):
    """The case's stored letter versions (shown to holders of view_letter)."""

    model = Letter
    fields = (*LETTER_COLUMNS, "short_sha256", "download")
    readonly_fields = fields
    ordering = ("channel__position", "language", "-version")
    verbose_name_plural = _("letters (stored versions)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel", "created_by")


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ("download", "kind", "purpose", "size", "sha256", "verdict", "review")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        # The download link needs the case's public id.
        return super().get_queryset(request).select_related("complaint")

    @admin.display(description=_("file"))
    def download(self, obj):
        return download_link(obj)

    @admin.display(description=_("review"))
    def review(self, obj):
        url = reverse("admin:complaints_evidence_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Verify or reject"))


class FilingInline(ReadOnlyInline):
    """The case's filings (shown to holders of view_filing): where and when
    each letter went, the deadline that counts now, the answer. A filing is
    recorded, and its answer entered, on the filing's own admin page."""

    model = Filing
    template = "admin/complaints/filing/inline.html"
    fields = (
        "channel",
        "sent_on",
        "method",
        "reference",
        "due_now",
        "outcome",
        "reply_on",
        "open_link",
    )
    readonly_fields = fields
    ordering = ("sent_on", "pk")
    verbose_name_plural = _("filings (letters sent) and deadlines")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("complaint", "channel")

    @admin.display(description=_("due now"))
    def due_now(self, obj):
        return due_now_cell(obj, timezone.localdate())

    @admin.display(description=_("filing"))
    def open_link(self, obj):
        url = reverse("admin:complaints_filing_change", args=[obj.pk])
        return format_html(
            '<a href="{}" data-testid="filing-open">{}</a>', url, _("Open")
        )
