"""Reviewer pages inside the admin: one workflow move on a case, a message or
internal note, assigning a case to oneself, downloading a stored letter,
the "untimely bodies" report and the dashboard.

Every write goes through `workflow.transition()` or a service; these views
only bind forms and explain refusals. They are registered by the model
admins' `get_urls()` (and the dashboard in casetracker/urls.py) behind
`admin_site.admin_view` (staff login).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import access, services, workflow
from ..access import Action
from ..evidence import private_headers
from ..models import Complaint, Letter
from ..selectors.dashboard import dashboard_context
from ..selectors.filings import untimely_by_body, untimely_by_institution
from .forms import ReviewerMessageForm, TransitionForm


def _change_url(complaint: Complaint) -> str:
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def _get_complaint(model_admin, request, object_id) -> Complaint:
    """The case through the admin's queryset (visible, not a draft), or 404."""
    complaint = model_admin.get_object(request, object_id)
    if complaint is None:
        raise Http404(_("No such case."))
    return complaint


def _require_reviewer(model_admin, request) -> None:
    if not model_admin.has_review_permission(request):
        raise PermissionDenied


def _apply_problems(form: forms.Form, error: workflow.TransitionError) -> None:
    """Each problem next to its field; the others above the form."""
    for problem in error.problems:
        field = problem.field if problem.field in form.fields else None
        form.add_error(field, str(problem.message))


def transition_view(model_admin, request, object_id, target):
    """Ask for what the move needs, then make it through the workflow."""
    _require_reviewer(model_admin, request)
    complaint = _get_complaint(model_admin, request, object_id)
    expected = request.POST.get("expected_status") or complaint.status
    # The move as the reviewer saw it; a stale page still finds its rule, and
    # the workflow then refuses it with "changed by someone else".
    rule = workflow.find(expected, target, {workflow.REVIEWER})
    if rule is None:
        messages.error(request, _("This action is not possible for this case now."))
        return redirect(_change_url(complaint))
    needs = rule.needs
    error_message = None
    if request.method == "POST":
        form = TransitionForm(request.POST, needs=needs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                workflow.transition(
                    complaint,
                    target=target,
                    actor=request.user,
                    expected_status=data["expected_status"],
                    note=data.get("note", ""),
                    outcome=data.get("outcome", ""),
                    amount_recovered=data.get("amount_recovered"),
                    role=workflow.REVIEWER,
                )
            except workflow.TransitionError as error:
                error_message = error.message
                _apply_problems(form, error)
            else:
                complaint.refresh_from_db(fields=["status"])
                messages.success(
                    request,
                    _("Case %(number)s: %(status)s.")
                    % {
                        "number": complaint.number,
                        "status": complaint.get_status_display(),
                    },
                )
                return redirect(_change_url(complaint))
    else:
        form = TransitionForm(
            initial={"expected_status": complaint.status}, needs=needs
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": complaint,
        "complaint": complaint,
        "rule": rule,
        "title": rule.label,
        "form": form,
        "error_message": error_message,
        "change_url": _change_url(complaint),
    }
    return TemplateResponse(
        request, "admin/complaints/complaint/transition.html", context
    )


def message_view(model_admin, request, object_id):
    """Post a message to the user, or an internal note."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    complaint = _get_complaint(model_admin, request, object_id)
    if not access.may(request.user, Action.MESSAGE):
        raise PermissionDenied
    form = ReviewerMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message."))
        return redirect(_change_url(complaint) + "#reviewer-message")
    try:
        services.message_post(
            actor=request.user,
            complaint=complaint,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["internal"],
        )
    except (PermissionDenied, ValidationError):
        messages.error(request, _("The message could not be posted."))
        return redirect(_change_url(complaint))
    if form.cleaned_data["internal"]:
        messages.success(request, _("Internal note saved."))
    else:
        messages.success(request, _("Message sent to the user."))
    return redirect(_change_url(complaint) + "#reviewer-message")


def assign_view(model_admin, request, object_id):
    """Make the current reviewer responsible for the case."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _require_reviewer(model_admin, request)
    complaint = _get_complaint(model_admin, request, object_id)
    services.complaint_assign(
        actor=request.user, complaint=complaint, assignee=request.user
    )
    messages.success(
        request, _("Case %(number)s is assigned to you.") % {"number": complaint.number}
    )
    return redirect(_change_url(complaint))


def letter_download_view(model_admin, request, public_id):
    """One stored letter version, byte for byte, as an attachment."""
    if not access.may(request.user, Action.VIEW_LETTERS):
        raise PermissionDenied
    try:
        # Through the admin's queryset: the access module's rules apply.
        letter = (
            model_admin.get_queryset(request)
            .select_related("complaint", "channel")
            .get(public_id=public_id)
        )
    except (Letter.DoesNotExist, ValidationError):
        raise Http404(_("No such letter.")) from None
    try:
        handle = letter.file.storage.open(letter.file.name, "rb")
    except FileNotFoundError:
        raise Http404(_("The stored file of this letter is missing.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=letter.file_name,
        content_type="application/pdf",
    )
    return private_headers(response)


def untimely_view(model_admin, request):
    """/admin/complaints/filing/untimely/: which bodies answer late, by body
    and (for letters to the institution itself) by institution. A fixed
    number of queries, whatever the number of filings."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    today = timezone.localdate()
    filings = model_admin.get_queryset(request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Untimely bodies"),
        "today": today,
        "by_body": untimely_by_body(filings, today),
        "by_institution": untimely_by_institution(filings, today),
    }
    return TemplateResponse(request, "admin/complaints/filing/untimely.html", context)


def dashboard_view(request):
    """/admin/dashboard/: wrap with `admin.site.admin_view` (staff login)."""
    if not access.may(request.user, Action.VIEW_DASHBOARD):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": gettext_lazy("Dashboard"),
        **dashboard_context(request.user),
    }
    return TemplateResponse(request, "admin/complaints/dashboard.html", context)
