"""Reference data in admin: institutions, brands and channels (with their
rules). Staff may read them; only superusers change them.
"""

from __future__ import annotations

from django.contrib import admin

from .. import access
from ..access import Action
from ..models import (
    Brand,
    Channel,
    Institution,
)


class SuperuserEditsMixin:
    """Reference data: staff may read it, only superusers change it."""

    def has_add_permission(self, request):
        return access.may(request.user, Action.MANAGE_REFERENCE_DATA)

    def has_change_permission(self, request, obj=None):
        return access.may(request.user, Action.MANAGE_REFERENCE_DATA)

    def has_delete_permission(self, request, obj=None):
        return access.may(request.user, Action.MANAGE_REFERENCE_DATA)


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
