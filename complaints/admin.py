from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Brand, Channel, Complaint, Institution, LossItem, StatusChange
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
    inlines = (LossItemInline, StatusChangeInline)
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
