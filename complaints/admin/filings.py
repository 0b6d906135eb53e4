"""Filings in admin: recording where a letter went and the body's answer,
through the services, and the filings list with its deadlines.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import access, clocks, services, workflow
from ..access import Action
from ..forms import FilingReplyForm, add_service_errors
from ..models import (
    Complaint,
    Filing,
)
from . import display, forms, views
from .display import download_link, filing_add_url_for, language_name
from .filters import DeadlineFilter
from .paginator import CappedCountPaginator

FILING_ADD_FIELDS = tuple(forms.FilingAddForm.Meta.fields)


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
        return access.of_visible_cases(queryset, request.user)

    # --- Permissions ---

    def has_add_permission(self, request):
        return access.may(request.user, Action.RECORD_FILING)

    def has_change_permission(self, request, obj=None):
        """The answer can be entered while filings can be recorded at all."""
        if not access.may(request.user, Action.ANSWER_FILING):
            return False
        return obj is None or access.may(
            request.user, Action.RECORD_FILING, obj.complaint
        )

    def has_delete_permission(self, request, obj=None):
        return access.may(request.user, Action.DELETE_FILING)

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
        return display.deadline_html(obj, timezone.localdate())

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
        clock = clocks.clock_for(obj)
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
            "language": language_name(letter.language),
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
        return download_link(proof)

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
            kwargs["form"] = forms.FilingAddForm
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
            return views.untimely_view(self, request)

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
        pk = display.int_or_none(request.GET.get("complaint"))
        if pk is not None and self.has_add_permission(request):
            complaint = (
                access.visible_complaints(request.user)
                .select_related("respondent_institution")
                .filter(pk=pk)
                .first()
            )
            if complaint is not None:
                extra_context["filing_case"] = complaint
                if request.method == "GET" and not access.may(
                    request.user, Action.RECORD_FILING, complaint
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
                form.add_error(None, display.transition_error_text(error))
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
            return redirect(filing_add_url_for(obj.complaint_id))
        return redirect("admin:complaints_complaint_change", obj.complaint_id)

    def response_change(self, request, obj):
        if IS_POPUP_VAR in request.POST:
            return super().response_change(request, obj)
        _kind, words = display.deadline_state(obj, timezone.localdate())
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
            return redirect(filing_add_url_for(obj.complaint_id))
        return self.response_post_save_change(request, obj)
