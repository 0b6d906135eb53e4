"""The reviewers' queue and case page. Read-only: status changes go through
the workflow (buttons, actions), messages through the service.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .. import access, exports, workflow
from ..access import Action
from ..models import (
    Complaint,
)
from ..selectors import cases as case_selectors
from ..templatetags.casetracker import mask_id, mask_phone, money
from . import forms, views
from .actions import ComplaintActions
from .display import ReadOnlyAdminMixin, days_since, filing_add_url_for
from .filters import AssigneeFilter, FilingDeadlineFilter, HasEvidenceFilter
from .inlines import (
    EvidenceInline,
    FilingInline,
    LetterInline,
    LossItemInline,
    MessageInline,
    StatusChangeInline,
)
from .paginator import CappedCountPaginator


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, ComplaintActions, admin.ModelAdmin):
    """The reviewers' queue and case page. Read-only: status changes go
    through the workflow (buttons, actions), messages through the service."""

    change_form_template = "admin/complaints/complaint/change_form.html"
    change_list_template = "admin/complaints/complaint/change_list.html"
    list_display = (
        "number",
        "masked_complainant",
        "respondent",
        "status",
        "total_claimed",
        "assignee",
        "submitted_at",
        "days_waiting",
    )
    list_filter = (
        "status",
        ("respondent_institution", admin.RelatedOnlyFieldListFilter),
        ("brand", admin.RelatedOnlyFieldListFilter),
        "province",
        AssigneeFilter,
        HasEvidenceFilter,
        FilingDeadlineFilter,
    )
    search_fields = (
        "number",
        "terminal_sn",
        "=merchant_number",
        "=contact_phone",
        "complainant_name",
    )
    date_hierarchy = "submitted_at"
    list_select_related = ("respondent_institution", "assignee")
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    ordering = ("-submitted_at", "-pk")
    # The site's case pages are the owner's own; reviewers work here.
    view_on_site = False
    inlines = (
        LossItemInline,
        EvidenceInline,
        LetterInline,
        FilingInline,
        StatusChangeInline,
        MessageInline,
    )
    fieldsets = (
        (
            _("Case"),
            {
                "fields": (
                    "number",
                    "status",
                    "assignee",
                    "submitted_at",
                    "outcome",
                    "amount_recovered",
                )
            },
        ),
        (
            _("Complainant"),
            {
                "fields": (
                    "complainant_type",
                    "masked_complainant",
                    "masked_id_number",
                    "representative_name",
                    "masked_phone",
                    "province",
                    "city",
                    "consent_processing_at",
                    "consent_sensitive_at",
                )
            },
        ),
        (
            _("Respondent and terminal"),
            {
                "fields": (
                    "respondent",
                    "brand",
                    "agent_name",
                    "terminal_sn",
                    "terminal_number",
                    "merchant_number",
                    "terminal_model",
                    "activated_on",
                    "deposit_paid",
                )
            },
        ),
        (
            _("What happened"),
            {
                "fields": (
                    "deactivated_on",
                    "deactivation_notice",
                    "deactivation_notice_detail",
                    "last_settlement_on",
                    "harm_known_on",
                    "narrative",
                    "prior_contact",
                    "prior_contact_detail",
                    "claim_list",
                    "claims_other",
                )
            },
        ),
    )
    readonly_fields = tuple(
        name for _title, options in fieldsets for name in options["fields"]
    )
    actions = (
        "assign_to_me",
        "accept",
        "close",
        "request_information",
        "reject",
        "record_resolution",
        "export_csv",
        "export_letters",
    )

    # --- Queryset and columns ---

    def get_queryset(self, request):
        # The access policy's queue (visible cases, never drafts) with the
        # queue's computed columns.
        return case_selectors.with_queue_columns(
            super().get_queryset(request) & access.reviewer_queue(request.user)
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

    @admin.display(description=_("institution"))
    def respondent(self, obj):
        return obj.respondent_display

    @admin.display(description=_("claims"))
    def claim_list(self, obj):
        return "; ".join(str(label) for label in obj.claim_labels) or "—"

    @admin.display(description=_("total claimed"), ordering="total_claimed")
    def total_claimed(self, obj):
        return money(obj.total_claimed)

    @admin.display(description=_("days waiting"), ordering="submitted_at")
    def days_waiting(self, obj):
        days = days_since(getattr(obj, "waiting_since", None) or obj.submitted_at)
        return "—" if days is None else days

    # --- Permissions: read-only (ReadOnlyAdminMixin); review through the workflow

    def has_review_permission(self, request):
        return access.may(request.user, Action.REVIEW)

    def has_export_letters_permission(self, request):
        return access.may(request.user, Action.EXPORT_LETTERS)

    def get_actions(self, request):
        if not self.has_review_permission(request):
            return {}
        return super().get_actions(request)

    # --- Pages ---

    def get_urls(self):
        def wrap(view):
            def wrapper(request, *args, **kwargs):
                return view(self, request, *args, **kwargs)

            return self.admin_site.admin_view(wrapper)

        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        routes = (
            (
                "<path:object_id>/transition/<str:target>/",
                views.transition_view,
                "transition",
            ),
            ("<path:object_id>/message/", views.message_view, "message"),
            ("<path:object_id>/assign/", views.assign_view, "assign"),
            ("export.csv", ComplaintAdmin.export_view, "export"),
        )
        return [
            *(
                path(route, wrap(view), name=f"{prefix}_{name}")
                for route, view, name in routes
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        complaint = self.get_object(request, object_id)
        if complaint is not None:
            reviewer = self.has_review_permission(request)
            extra_context.update(
                {
                    "may_review": reviewer,
                    "transitions": workflow.allowed_transitions(
                        request.user, complaint, role=workflow.REVIEWER
                    )
                    if reviewer
                    else [],
                    "may_message": access.may(request.user, Action.MESSAGE),
                    "message_form": forms.ReviewerMessageForm(),
                    "assigned_to_me": complaint.assignee_id == request.user.pk,
                    "filing_add_url": _filing_add_url(request, complaint),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["may_export"] = self.has_review_permission(request)
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        """The current list (filters, search, ordering) as CSV."""
        if not self.has_review_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return exports.csv_response(
            changelist.get_queryset(request), exports.csv_filename()
        )


def _filing_add_url(request, complaint) -> str:
    """The admin page that records a filing for this case, when this user may."""
    user = request.user
    # As a reviewer (not as the case's owner), and while the case takes filings.
    if not (
        access.may(user, Action.RECORD_FILING)
        and access.may(user, Action.RECORD_FILING, complaint)
    ):
        return ""
    return filing_add_url_for(complaint.pk)
