"""The queue's bulk actions (through the workflow or a service, case by
case) and the letter downloads that answer an action with a zip.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import exports, services, workflow
from ..letters import archive as archive_module
from ..letters import context as letter_context
from ..letters.archive import LetterArchive
from ..models import (
    Channel,
    Status,
)
from .forms import NoteActionForm, TransitionForm


class ComplaintActions:
    """The queue's bulk actions: each case through the workflow (or a
    service), one by one, with what was done and what was refused."""

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
        form_class = TransitionForm if "outcome" in needs else NoteActionForm

        def bind(data=None):
            if form_class is NoteActionForm:
                return NoteActionForm(data)
            form = TransitionForm(data, needs=needs)
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
        return exports.csv_response(queryset, exports.csv_filename())

    @admin.action(description=_("Export letters (zip)"), permissions=["export_letters"])
    def export_letters(self, request, queryset):
        return export_letters(self, request, queryset)


def _limit_exceeded(model_admin, request, limit: int, message: str) -> None:
    model_admin.message_user(request, message % {"limit": limit}, messages.ERROR)


def letters_zip(model_admin, request, queryset):
    """The selected stored letters in one zip."""
    limit = getattr(settings, "LETTER_ZIP_MAX_LETTERS", 200)
    letters = list(
        queryset.select_related("complaint", "channel").order_by(
            "complaint__number", "channel__position", "language", "version"
        )[: limit + 1]
    )
    if len(letters) > limit:
        _limit_exceeded(
            model_admin,
            request,
            limit,
            ngettext(
                "At most %(limit)d letter can go in one zip: select fewer.",
                "At most %(limit)d letters can go in one zip: select fewer.",
                limit,
            ),
        )
        return None
    if not letters:
        model_admin.message_user(
            request,
            gettext("None of the selected letters is in the list."),
            messages.WARNING,
        )
        return None
    archive = LetterArchive(gettext("Letters selected in the admin"))
    try:
        for letter in letters:
            archive.add(letter, letter.complaint.number)
    except BaseException:
        archive.close()
        raise
    return archive.response(request)


def export_letters(model_admin, request, queryset):
    """For each selected case that is not a draft, the current letter of
    every channel that is ready (made now, or the stored version when the
    facts have not changed), in one zip with a README of what was left out.
    """
    limit = getattr(settings, "LETTER_EXPORT_MAX_CASES", 20)
    pks = list(queryset.order_by().values_list("pk", flat=True)[: limit + 1])
    if len(pks) > limit:
        _limit_exceeded(
            model_admin,
            request,
            limit,
            ngettext(
                "Letters can be exported for at most %(limit)d case at a time: "
                "select fewer cases.",
                "Letters can be exported for at most %(limit)d cases at a time: "
                "select fewer cases.",
                limit,
            ),
        )
        return None
    if not pks:
        model_admin.message_user(
            request,
            gettext("None of the selected cases is in the list."),
            messages.WARNING,
        )
        return None
    cases = letter_context.complaint_queryset().filter(pk__in=pks).order_by("number")
    channel_list = list(
        Channel.objects.filter(is_active=True).order_by("position", "code")
    )
    archive = LetterArchive(gettext("Letters of the selected cases"))
    try:
        for complaint in cases:
            archive_module.export_case(archive, request.user, complaint, channel_list)
    except BaseException:
        archive.close()
        raise
    return archive.response(request)
