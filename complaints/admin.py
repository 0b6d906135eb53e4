"""The admin: reference data for superusers, and the reviewers' side of a
case (queue, case page, workflow buttons and actions, CSV export, letters,
filings and their deadlines).

Reviewers never edit a case here: every change goes through
`workflow.transition()` or a service (see `admin_views.py`).
"""

import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import access, admin_views, clocks, exports, services, workflow
from .forms import FilingReplyForm, add_service_errors
from .models import (
    Brand,
    Channel,
    Complaint,
    Evidence,
    Filing,
    Institution,
    Letter,
    LossItem,
    Message,
    Status,
    StatusChange,
)
from .templatetags.casetracker import mask_id, mask_phone, money


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


def of_visible_cases(queryset, request):
    """Rows (letters, evidence, filings) of the cases this user may see: the
    site's rule. A reviewer sees every case, so no semi-join over all of
    them is added to their lists."""
    visible = access.visible_complaints(request.user)
    if visible.query.has_filters():
        queryset = queryset.filter(complaint__in=visible)
    return queryset


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on the case page that nobody edits here: losses and
    evidence belong to the user, the timeline to the workflow, messages to
    `services.message_post`."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


def _download_link(item: Evidence):
    url = reverse(
        "complaints:evidence_download", args=[item.complaint.public_id, item.public_id]
    )
    return format_html('<a href="{}">{}</a>', url, item.original_name)


def _letter_download_link(letter: Letter):
    url = reverse("admin:complaints_letter_download", args=[letter.public_id])
    return format_html(
        '<a href="{}" data-testid="letter-download">{}</a>', url, _("Download")
    )


def _language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


class LetterColumns:
    """The columns a stored letter shows in the case's inline and the list."""

    @admin.display(description=_("language"), ordering="language")
    def language_name(self, obj):
        return _language_name(obj.language)

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("SHA-256"))
    def short_sha256(self, obj):
        return format_html('<span title="{}">{}</span>', obj.sha256, obj.sha256[:12])

    @admin.display(description=_("file"))
    def download(self, obj):
        return _letter_download_link(obj)


class LetterInline(LetterColumns, ReadOnlyInline):
    """The case's stored letter versions (shown to holders of view_letter)."""

    model = Letter
    fields = (
        "channel",
        "language_name",
        "version",
        "created_at",
        "created_by",
        "file_size",
        "short_sha256",
        "download",
    )
    readonly_fields = fields
    ordering = ("channel__position", "language", "-version")
    verbose_name_plural = _("letters (stored versions)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel", "created_by")


class LetterLanguageFilter(admin.SimpleListFilter):
    """The letter languages from settings (no DISTINCT over the letters)."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return [
            (code, name)
            for code, name in settings.LANGUAGES
            if code in services.LETTER_LANGUAGES
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(language=self.value())
        return queryset


@admin.register(Letter)
class LetterAdmin(LetterColumns, admin.ModelAdmin):
    """Stored letter versions: read-only for everyone (letters are made by
    `services.letter_issue`, never here), downloadable byte for byte."""

    list_display = (
        "case_number",
        "channel",
        "language_name",
        "version",
        "created_at",
        "created_by",
        "file_size",
        "short_sha256",
        "download",
    )
    list_display_links = ("version",)
    list_filter = ("channel", LetterLanguageFilter)
    search_fields = ("complaint__number",)
    search_help_text = _("Search by case number.")
    list_select_related = ("complaint", "channel", "created_by")
    show_full_result_count = False
    ordering = ("-created_at", "-pk")
    list_per_page = 50
    fields = (
        "case_number",
        "channel",
        "language_name",
        "version",
        "created_at",
        "created_by",
        "file_size",
        "sha256",
        "fingerprint",
        "download",
    )
    readonly_fields = fields
    actions = ("download_zip",)

    def get_queryset(self, request):
        return of_visible_cases(super().get_queryset(request), request)

    # --- Permissions: view only, for holders of view_letter ---

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("complaints.view_letter")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- Columns ---

    @admin.display(description=_("case"), ordering="complaint__number")
    def case_number(self, obj):
        url = reverse("admin:complaints_complaint_change", args=[obj.complaint_id])
        return format_html('<a href="{}">{}</a>', url, obj.complaint.number)

    # --- Pages and actions ---

    def get_urls(self):
        def download(request, public_id):
            return admin_views.letter_download_view(self, request, public_id)

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
        return admin_views.letters_zip(self, request, queryset)


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
    # Everything but the verdict and its note is evidence, not opinion.
    readonly_fields = tuple(f for f in fields if f not in ("verdict", "review_note"))

    def get_queryset(self, request):
        return of_visible_cases(super().get_queryset(request), request)

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


# --- Filings on the case page and in the queue ---------------------------------


def _due_now(filing: Filing, today: datetime.date):
    """The deadline that counts now, and how it stands."""
    state = admin_views.deadline_html(filing, today)
    if filing.due_on is None:
        return state
    return format_html("{} {}", date_format(filing.due_on), state)


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
        return _due_now(obj, timezone.localdate())

    @admin.display(description=_("filing"))
    def open_link(self, obj):
        url = reverse("admin:complaints_filing_change", args=[obj.pk])
        return format_html(
            '<a href="{}" data-testid="filing-open">{}</a>', url, _("Open")
        )


class FilingDeadlineFilter(admin.SimpleListFilter):
    """Cases by the deadlines of their filings: an EXISTS on the indexed
    `Filing.due_on` (a semi-join, never a count), so the queue stays fast at
    a million cases."""

    title = _("deadlines")
    parameter_name = "deadlines"

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("Has an overdue filing")),
            ("soon", _("A deadline within 7 days")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            due = {"due_on__lt": today}
        elif self.value() == "soon":
            due = {
                "due_on__gte": today,
                "due_on__lte": today
                + datetime.timedelta(days=admin_views.DUE_SOON_DAYS),
            }
        else:
            return queryset
        return queryset.filter(
            Exists(Filing.objects.filter(complaint=OuterRef("pk"), **due))
        )


# --- Cases ------------------------------------------------------------------


class CappedCountPaginator(Paginator):
    """Counts at most `CAP` rows, so a page view never counts the whole table.

    Chosen over PostgreSQL's `pg_class.reltuples` estimate because the queue
    is never the bare table (drafts are excluded, filters apply) and the
    estimate says nothing about a filtered set; a bounded
    `SELECT COUNT(*) FROM (… LIMIT CAP + 1)` is exact below the cap, cheap
    above it and the same on every database. Past the cap the list shows the
    first CAP rows; filters or search narrow it down.
    """

    CAP = 10_000
    # Whether the last count reached the cap (set when `count` is read).
    capped = False

    @cached_property
    def count(self):
        counted = self.object_list.order_by().values("pk")[: self.CAP + 1].count()
        self.capped = counted > self.CAP
        return min(counted, self.CAP)


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return (("mine", _("Assigned to me")), ("unassigned", _("Unassigned")))

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class HasEvidenceFilter(admin.SimpleListFilter):
    title = _("evidence")
    parameter_name = "evidence"

    def lookups(self, request, model_admin):
        return (("yes", _("Has evidence")), ("no", _("No evidence")))

    def queryset(self, request, queryset):
        has = Exists(Evidence.objects.filter(complaint=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(has)
        if self.value() == "no":
            return queryset.filter(~has)
        return queryset


def _days_since(moment) -> int | None:
    if moment is None:
        return None
    return max((timezone.now() - moment).days, 0)


class NoteActionForm(admin_views.NoteForm):
    """The intermediate page of a bulk move that needs a note."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = True


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
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
        last_change = (
            StatusChange.objects.filter(complaint=OuterRef("pk"))
            .order_by()
            .values("complaint")
            .annotate(last=Max("created_at"))
            .values("last")
        )
        queryset = (
            super().get_queryset(request)
            # The same rule as the site: only what access lets this user see.
            & access.visible_complaints(request.user)
        )
        return (
            queryset
            # Drafts are the user's private work, not yet for review.
            .exclude(status=Status.DRAFT)
            .with_total_claimed()
            .annotate(waiting_since=Coalesce(Subquery(last_change), "submitted_at"))
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
        days = _days_since(getattr(obj, "waiting_since", None) or obj.submitted_at)
        return "—" if days is None else days

    # --- Permissions: read-only, no deletes; review through the workflow ---

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return access.is_reviewer(request.user) and request.user.has_perm(
            "complaints.review_complaint"
        )

    def has_export_letters_permission(self, request):
        user = request.user
        return (
            self.has_review_permission(request)
            and user.has_perm("complaints.add_letter")
            and user.has_perm("complaints.view_letter")
        )

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
        return [
            path(
                "<path:object_id>/transition/<str:target>/",
                wrap(admin_views.transition_view),
                name=f"{prefix}_transition",
            ),
            path(
                "<path:object_id>/message/",
                wrap(admin_views.message_view),
                name=f"{prefix}_message",
            ),
            path(
                "<path:object_id>/assign/",
                wrap(admin_views.assign_view),
                name=f"{prefix}_assign",
            ),
            path(
                "export.csv",
                wrap(ComplaintAdmin.export_view),
                name=f"{prefix}_export",
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
                    "may_message": request.user.has_perm("complaints.add_message"),
                    "message_form": admin_views.ReviewerMessageForm(),
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
        return exports.csv_response(changelist.get_queryset(request), _csv_name())

    # --- Actions: each case through the workflow, one by one ---

    def _move(self, request, queryset, target, **inputs):
        done, refused = [], []
        for complaint in queryset:
            try:
                workflow.transition(
                    complaint,
                    target=target,
                    actor=request.user,
                    expected_status=complaint.status,
                    role=workflow.REVIEWER,
                    **inputs,
                )
            except workflow.TransitionError as error:
                reasons = [str(p.message) for p in error.problems]
                why = " ".join([str(error.message), *reasons])
                refused.append(f"{complaint.number}: {why}")
            else:
                done.append(complaint.number)
        self._report(request, done, refused)

    def _report(self, request, done, refused):
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d case done: %(numbers)s",
                    "%(count)d cases done: %(numbers)s",
                    len(done),
                )
                % {"count": len(done), "numbers": ", ".join(done)},
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(
                request,
                gettext("Refused, %(case)s") % {"case": line},
                messages.ERROR,
            )

    def _note_step(self, request, queryset, target, title, needs=("note",)):
        """Ask for the note (and outcome/amount) once, then move each case."""
        form_class = (
            admin_views.TransitionForm if "outcome" in needs else NoteActionForm
        )

        def bind(data=None):
            if form_class is NoteActionForm:
                return NoteActionForm(data)
            form = admin_views.TransitionForm(data, needs=needs)
            del form.fields["expected_status"]
            return form

        if "apply" in request.POST:
            form = bind(request.POST)
            if form.is_valid():
                self._move(request, queryset, target, **form.cleaned_data)
                return None
        else:
            form = bind()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(
            request, "admin/complaints/complaint/action_note.html", context
        )

    @admin.action(description=_("Assign to me"), permissions=["review"])
    def assign_to_me(self, request, queryset):
        done = []
        for complaint in queryset:
            services.complaint_assign(
                actor=request.user, complaint=complaint, assignee=request.user
            )
            done.append(complaint.number)
        self._report(request, done, [])

    @admin.action(description=_("Accept"), permissions=["review"])
    def accept(self, request, queryset):
        self._move(request, queryset, Status.ACCEPTED)

    @admin.action(description=_("Close"), permissions=["review"])
    def close(self, request, queryset):
        self._move(request, queryset, Status.CLOSED)

    @admin.action(description=_("Request information…"), permissions=["review"])
    def request_information(self, request, queryset):
        return self._note_step(
            request, queryset, Status.NEEDS_INFO, _("Request information")
        )

    @admin.action(description=_("Reject…"), permissions=["review"])
    def reject(self, request, queryset):
        return self._note_step(request, queryset, Status.REJECTED, _("Reject"))

    @admin.action(description=_("Record the resolution…"), permissions=["review"])
    def record_resolution(self, request, queryset):
        return self._note_step(
            request,
            queryset,
            Status.RESOLVED,
            _("Record the resolution"),
            needs=("outcome", "amount_recovered", "note"),
        )

    @admin.action(description=_("Export selected as CSV"), permissions=["review"])
    def export_csv(self, request, queryset):
        return exports.csv_response(queryset, _csv_name())

    @admin.action(description=_("Export letters (zip)"), permissions=["export_letters"])
    def export_letters(self, request, queryset):
        return admin_views.export_letters(self, request, queryset)


def _csv_name() -> str:
    return f"cases-{timezone.localtime():%Y%m%d-%H%M}.csv"


def _filing_add_url(request, complaint) -> str:
    """The admin page that records a filing for this case, when this user may."""
    user = request.user
    if not (
        access.is_reviewer(user)
        and user.has_perm("complaints.add_filing")
        and services.may_record_filings(user, complaint)
    ):
        return ""
    return _filing_add_url_for(complaint.pk)


# --- Filings ------------------------------------------------------------------


class DeadlineFilter(admin.SimpleListFilter):
    """Filings by where their deadline stands (on the indexed `due_on`)."""

    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("Overdue")),
            ("soon", _("Due within 7 days")),
            ("answered", _("Answered")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        value = self.value()
        if value == "overdue":
            return queryset.filter(due_on__lt=today)
        if value == "soon":
            return queryset.filter(
                due_on__gte=today,
                due_on__lte=today + datetime.timedelta(days=admin_views.DUE_SOON_DAYS),
            )
        if value == "answered":
            return queryset.exclude(outcome="")
        return queryset


FILING_ADD_FIELDS = (
    "complaint",
    "channel",
    "sent_on",
    "method",
    "reference",
    "letter",
    "proof",
    "note",
)
FILING_REPLY_FIELDS = ("accepted_on", "reply_on", "outcome", "reply_summary")
_CLOSED_TO_FILINGS = _(
    "Filings can be recorded once the case is submitted and until it is closed."
)


@admin.register(Filing)
class FilingAdmin(admin.ModelAdmin):
    """Letters sent to bodies, and their deadlines.

    Reviewers record a filing here through `services.filing_record` (so an
    accepted case moves to filed through the workflow and the due dates are
    stored), and later the body's answer through `services.filing_reply`.
    Nothing else of a filing changes; the forms are validated, never saved:
    a refusal from a service comes back as a form error."""

    list_display = (
        "case_number",
        "respondent",
        "channel",
        "sent_on",
        "method",
        "due_on",
        "deadline",
        "outcome",
        "reply_on",
    )
    list_display_links = ("channel",)
    list_filter = ("channel", DeadlineFilter, "outcome")
    search_fields = ("complaint__number", "reference")
    search_help_text = _("Search by case number or reference number.")
    list_select_related = ("complaint__respondent_institution", "channel")
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    # Most overdue first; filings with nothing due (answered, no clock) last.
    ordering = (F("due_on").asc(nulls_last=True), "pk")
    raw_id_fields = ("complaint",)
    view_on_site = False

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .select_related("complaint__respondent_institution", "channel")
        )
        return of_visible_cases(queryset, request)

    # --- Permissions ---

    def has_add_permission(self, request):
        return access.is_reviewer(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        """The answer can be entered while filings can be recorded at all."""
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or services.may_record_filings(request.user, obj.complaint)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # --- Columns and read-only fields ---

    @admin.display(description=_("case"), ordering="complaint__number")
    def case_number(self, obj):
        url = reverse("admin:complaints_complaint_change", args=[obj.complaint_id])
        return format_html('<a href="{}">{}</a>', url, obj.complaint.number)

    @admin.display(description=_("respondent"))
    def respondent(self, obj):
        return obj.complaint.respondent_display or "—"

    @admin.display(description=_("deadline"), ordering="due_on")
    def deadline(self, obj):
        return admin_views.deadline_html(obj, timezone.localdate())

    @admin.display(description=_("due now"))
    def due_now(self, obj):
        if obj.due_on is None:
            return "—"
        text = f"{date_format(obj.due_on)} ({clocks.stage_label(obj.due_stage)})"
        if obj.due_approximate:
            text += " " + gettext(
                "(approximate: that year's public holidays are not published yet)"
            )
        return text

    @admin.display(description=_("stages of the clock"))
    def clock_stages(self, obj):
        clock = clocks.filing_clock(
            obj.channel.clock_rules,
            obj.sent_on,
            accepted_on=obj.accepted_on,
            answered=obj.outcome in Filing.FINAL_OUTCOMES,
            in_progress=obj.outcome == Filing.Outcome.ACCEPTED,
        )
        if not clock.deadlines:
            return gettext("This body has no time limit we can count.")
        return format_html_join(
            mark_safe("<br>"),
            "{}: {}",
            (
                (clocks.stage_label(d.stage), date_format(d.due))
                for d in clock.deadlines
            ),
        )

    @admin.display(description=_("letter sent"))
    def letter_link(self, obj):
        if obj.letter_id is None:
            return "—"
        letter = obj.letter
        label = gettext("version %(version)d (%(language)s)") % {
            "version": letter.version,
            "language": _language_name(letter.language),
        }
        # The download checks view_letter itself.
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:complaints_letter_download", args=[letter.public_id]),
            label,
        )

    @admin.display(description=_("proof of delivery"))
    def proof_link(self, obj):
        if obj.proof_id is None:
            return "—"
        proof = obj.proof
        proof.complaint = obj.complaint
        return _download_link(proof)

    # --- Forms: the new filing, then only the answer ---

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": FILING_ADD_FIELDS})]
        return [
            (
                _("Filing"),
                {
                    "fields": (
                        "case_number",
                        "respondent",
                        "channel",
                        "sent_on",
                        "method",
                        "reference",
                        "letter_link",
                        "proof_link",
                        "note",
                        "recorded_by",
                        "created_at",
                    )
                },
            ),
            (
                _("Deadlines"),
                {"fields": ("first_due_on", "due_now", "deadline", "clock_stages")},
            ),
            (_("The body's answer"), {"fields": FILING_REPLY_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return tuple(
            name
            for name in flatten_fieldsets(self.get_fieldsets(request, obj))
            if name not in FILING_REPLY_FIELDS
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = admin_views.FilingAddForm
        elif self.has_change_permission(request, obj):
            kwargs["form"] = FilingReplyForm
        # Else a view-only page: Django's form without fields.
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "complaint":
            kwargs["queryset"] = access.visible_complaints(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("sent_on", timezone.localdate())
        return initial

    # --- Pages ---

    def get_urls(self):
        def untimely(request):
            return admin_views.untimely_view(self, request)

        return [
            path(
                "untimely/",
                self.admin_site.admin_view(untimely),
                name=f"{self.opts.app_label}_{self.opts.model_name}_untimely",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        """The case named by `?complaint=<pk>` is shown above the form, with
        a warning when it cannot take filings now."""
        extra_context = extra_context or {}
        pk = admin_views.int_or_none(request.GET.get("complaint"))
        if pk is not None and self.has_add_permission(request):
            complaint = (
                access.visible_complaints(request.user)
                .select_related("respondent_institution")
                .filter(pk=pk)
                .first()
            )
            if complaint is not None:
                extra_context["filing_case"] = complaint
                if request.method == "GET" and not services.may_record_filings(
                    request.user, complaint
                ):
                    self.message_user(request, _CLOSED_TO_FILINGS, messages.WARNING)
        return super().add_view(request, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A POST records through the services; pages are Django's.
        if request.method == "POST":
            return self._post_through_services(
                request, object_id, form_url, extra_context
            )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _post_through_services(self, request, object_id, form_url, extra_context):
        """Bind the form as Django's admin does, then call the service instead
        of saving it; a refusal is shown on the form, nothing is saved."""
        add = object_id is None
        if add:
            if not self.has_add_permission(request):
                raise PermissionDenied
            obj = None
        else:
            obj = self.get_object(request, unquote(object_id))
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
            if obj is None:
                return self._get_obj_does_not_exist_redirect(
                    request, self.opts, object_id
                )
        fieldsets = self.get_fieldsets(request, obj)
        form_class = self.get_form(
            request, obj, change=not add, fields=flatten_fieldsets(fieldsets)
        )
        form = form_class(request.POST, request.FILES, instance=obj)
        if form.is_valid():
            try:
                filing = self._record(request, form, obj)
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied:
                form.add_error("complaint" if add else None, _CLOSED_TO_FILINGS)
            except workflow.TransitionError as error:
                form.add_error(None, admin_views.transition_error_text(error))
            else:
                change_message = self.construct_change_message(request, form, [], add)
                if add:
                    self.log_addition(request, filing, change_message)
                    return self.response_add(request, filing)
                self.log_change(request, filing, change_message)
                return self.response_change(request, filing)
        return self._render_bound_form(
            request, form, obj, fieldsets, form_url, extra_context
        )

    def _record(self, request, form, obj):
        data = form.cleaned_data
        if obj is None:
            return services.filing_record(
                actor=request.user,
                complaint=data["complaint"],
                **{name: data[name] for name in services.FILING_FIELDS},
            )
        return services.filing_reply(
            actor=request.user,
            filing=obj,
            **{name: data[name] for name in services.REPLY_FIELDS},
        )

    def _render_bound_form(self, request, form, obj, fieldsets, form_url, extra):
        """The add or change page with a bound form and its errors (what
        `ModelAdmin._changeform_view` renders; there are no inlines)."""
        add = obj is None
        admin_form = helpers.AdminForm(
            form,
            list(fieldsets),
            {},
            self.get_readonly_fields(request, obj),
            model_admin=self,
        )
        title = gettext("Add %s") if add else gettext("Change %s")
        context = {
            **self.admin_site.each_context(request),
            "title": title % self.opts.verbose_name,
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None if add else obj.pk,
            "original": obj,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra or {}),
        }
        return self.render_change_form(
            request, context, add=add, change=not add, obj=obj, form_url=form_url
        )

    def response_add(self, request, obj, post_url_continue=None):
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        complaint = Complaint.objects.only("number", "status").get(pk=obj.complaint_id)
        self.message_user(
            request,
            gettext(
                "The filing is recorded: case %(number)s, sent to %(body)s on "
                "%(date)s. The case is now “%(status)s”."
            )
            % {
                "number": complaint.number,
                "body": obj.channel.display_name,
                "date": date_format(obj.sent_on),
                "status": complaint.get_status_display(),
            },
            messages.SUCCESS,
        )
        if "_continue" in request.POST:
            return redirect("admin:complaints_filing_change", obj.pk)
        if "_addanother" in request.POST:
            return redirect(_filing_add_url_for(obj.complaint_id))
        return redirect("admin:complaints_complaint_change", obj.complaint_id)

    def response_change(self, request, obj):
        if IS_POPUP_VAR in request.POST:
            return super().response_change(request, obj)
        _kind, words = admin_views.deadline_state(obj, timezone.localdate())
        self.message_user(
            request,
            gettext(
                "The answer of %(body)s is recorded (case %(number)s). "
                "Deadline: %(deadline)s."
            )
            % {
                "body": obj.channel.display_name,
                "number": obj.complaint.number,
                "deadline": words,
            },
            messages.SUCCESS,
        )
        if "_continue" in request.POST:
            return redirect(
                add_preserved_filters(
                    {
                        "preserved_filters": self.get_preserved_filters(request),
                        "opts": self.opts,
                    },
                    request.path,
                )
            )
        if "_addanother" in request.POST:
            return redirect(_filing_add_url_for(obj.complaint_id))
        return self.response_post_save_change(request, obj)


def _filing_add_url_for(complaint_id) -> str:
    return f"{reverse('admin:complaints_filing_add')}?complaint={complaint_id}"
