"""Evidence in admin: reviewers read files and give a verdict."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import access, services
from ..models import (
    Evidence,
)
from .display import download_link


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    """Reviewers read evidence and give a verdict with a note the user sees.
    The file and what it says about itself can never be changed here."""

    list_display = (
        "original_name",
        "complaint",
        "kind",
        "size",
        "short_hash",
        "verdict",
        "uploaded_at",
    )
    list_filter = ("verdict", "kind")
    search_fields = ("complaint__number", "sha256", "original_name")
    list_select_related = ("complaint",)
    show_full_result_count = False
    fields = (
        "complaint_number",
        "download",
        "kind",
        "purpose",
        "is_original",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "verdict",
        "review_note",
        "reviewed_by",
        "reviewed_at",
    )
    # Everything but the verdict and its note is evidence, not opinion.
    readonly_fields = tuple(f for f in fields if f not in ("verdict", "review_note"))

    def get_queryset(self, request):
        return access.of_visible_cases(super().get_queryset(request), request.user)

    @admin.display(description=_("case"))
    def complaint_number(self, obj):
        url = reverse("admin:complaints_complaint_change", args=[obj.complaint_id])
        return format_html('<a href="{}">{}</a>', url, obj.complaint.number)

    @admin.display(description=_("file"))
    def download(self, obj):
        return download_link(obj)

    @admin.display(description=_("SHA-256"))
    def short_hash(self, obj):
        return obj.short_hash

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.evidence_review(
            actor=request.user,
            evidence=obj,
            verdict=form.cleaned_data["verdict"],
            note=form.cleaned_data["review_note"],
        )
