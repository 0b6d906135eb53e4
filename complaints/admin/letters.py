"""Stored letter versions in admin: read-only, downloadable byte for byte."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import access
from ..access import Action
from ..models import (
    Letter,
)
from . import actions, views
from .display import LETTER_COLUMNS, LetterColumns, ReadOnlyAdminMixin
from .filters import LetterLanguageFilter


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdminMixin, LetterColumns, admin.ModelAdmin):
    """Stored letter versions: read-only for everyone (letters are made by
    `letters.issue.letter_issue`, never here), downloadable byte for byte."""

    list_display = ("case_number", *LETTER_COLUMNS, "short_sha256", "download")
    list_display_links = ("version",)
    list_filter = ("channel", LetterLanguageFilter)
    search_fields = ("complaint__number",)
    search_help_text = _("Search by case number.")
    list_select_related = ("complaint", "channel", "created_by")
    show_full_result_count = False
    ordering = ("-created_at", "-pk")
    list_per_page = 50
    fields = ("case_number", *LETTER_COLUMNS, "sha256", "fingerprint", "download")
    readonly_fields = fields
    actions = ("download_zip",)

    def get_queryset(self, request):
        return access.of_visible_cases(super().get_queryset(request), request.user)

    # --- Permissions: view only (ReadOnlyAdminMixin), for holders of view_letter

    def has_view_permission(self, request, obj=None):
        return access.may(request.user, Action.VIEW_LETTERS)

    # --- Columns ---

    @admin.display(description=_("case"), ordering="complaint__number")
    def case_number(self, obj):
        url = reverse("admin:complaints_complaint_change", args=[obj.complaint_id])
        return format_html('<a href="{}">{}</a>', url, obj.complaint.number)

    # --- Pages and actions ---

    def get_urls(self):
        def download(request, public_id):
            return views.letter_download_view(self, request, public_id)

        return [
            path(
                "<uuid:public_id>/download/",
                self.admin_site.admin_view(download),
                name=f"{self.opts.app_label}_{self.opts.model_name}_download",
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description=_("Download selected letters (zip)"), permissions=["view"]
    )
    def download_zip(self, request, queryset):
        return actions.letters_zip(self, request, queryset)
