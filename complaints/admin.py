from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import access, services
from .models import (
    Brand,
    Channel,
    Complaint,
    Evidence,
    Institution,
    LossItem,
    StatusChange,
)
from .templatetags.casetracker import mask_id, mask_phone


class SuperuserEditsMixin:
    """Reference data: staff may read it, only superusers change it."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Institution)
class InstitutionAdmin(SuperuserEditsMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "licence_number",
        "licence_status",
        "province",
        "verified",
    )
    list_filter = ("kind", "licence_status", "verified", "province")
    search_fields = ("name", "licence_number")


@admin.register(Brand)
class BrandAdmin(SuperuserEditsMixin, admin.ModelAdmin):
    list_display = ("name", "institution")
    search_fields = ("name",)
    autocomplete_fields = ("institution",)


@admin.register(Channel)
class ChannelAdmin(SuperuserEditsMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "position", "basis_confirmed", "is_active")
    list_filter = ("kind", "basis_confirmed", "is_active")
    search_fields = ("name", "name_en", "code")
    ordering = ("position",)


class LossItemInline(admin.TabularInline):
    model = LossItem
    fields = ("category", "amount", "occurred_on", "description")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class StatusChangeInline(admin.TabularInline):
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
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _download_link(item: Evidence):
    url = reverse(
        "complaints:evidence_download", args=[item.complaint.public_id, item.public_id]
    )
    return format_html('<a href="{}">{}</a>', url, item.original_name)


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ("download", "kind", "purpose", "size", "sha256", "verdict", "review")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        return _download_link(obj)

    @admin.display(description=_("review"))
    def review(self, obj):
        url = reverse("admin:complaints_evidence_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Verify or reject"))


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
    readonly_fields = (
        "complaint_number",
        "download",
        "kind",
        "purpose",
        "is_original",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "reviewed_by",
        "reviewed_at",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(complaint__in=access.visible_complaints(request.user))
        )

    @admin.display(description=_("case"))
    def complaint_number(self, obj):
        url = reverse("admin:complaints_complaint_change", args=[obj.complaint_id])
        return format_html('<a href="{}">{}</a>', url, obj.complaint.number)

    @admin.display(description=_("file"))
    def download(self, obj):
        return _download_link(obj)

    @admin.display(description=_("SHA-256"))
    def short_hash(self, obj):
        return obj.short_hash

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.evidence_review(
            reviewer=request.user,
            evidence=obj,
            verdict=form.cleaned_data["verdict"],
            note=form.cleaned_data["review_note"],
        )


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only view of cases. Status changes go through the workflow."""

    list_display = (
        "number",
        "masked_complainant",
        "respondent",
        "status",
        "submitted_at",
    )
    list_filter = ("status", "complainant_type", "province")
    search_fields = ("number", "terminal_sn", "merchant_number")
    list_select_related = ("respondent_institution",)
    show_full_result_count = False
    # The site's case pages are the owner's own; reviewers work here.
    view_on_site = False
    inlines = (LossItemInline, EvidenceInline, StatusChangeInline)
    exclude = ("id_number", "contact_phone")
    readonly_fields = (
        "number",
        "status",
        "owner",
        "masked_complainant",
        "masked_id_number",
        "masked_phone",
        "submitted_at",
        "consent_processing_at",
        "consent_sensitive_at",
    )

    @admin.display(description=_("complainant"))
    def masked_complainant(self, obj):
        name = obj.complainant_name
        return (name[:1] + "*" * (len(name) - 1)) if name else "—"

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return mask_id(obj.id_number) or "—"

    @admin.display(description=_("contact phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.contact_phone) or "—"

    @admin.display(description=_("respondent"))
    def respondent(self, obj):
        return obj.respondent_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
