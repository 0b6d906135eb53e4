"""The user's cases: the list, creating and editing a draft, the case page,
submitting, withdrawing and replying to the reviewers. Thin: ask the access
policy, bind forms, call a service or the workflow, redirect with a message.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .. import access, channels, services, workflow
from ..access import Action
from ..forms import (
    ComplaintForm,
    LossItemFormSet,
    MessageForm,
    WithdrawForm,
)
from ..models import (
    Complaint,
    Status,
)
from ..selectors import cases as case_selectors
from ..selectors.filings import filings_overview
from ..submission import missing_for_submission


@login_required
def complaint_list(request):
    paginator = Paginator(
        case_selectors.case_list(request.user), settings.COMPLAINTS_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "complaints/complaint_list.html", {"page": page})


def _bind_forms(request, instance):
    data = request.POST if request.method == "POST" else None
    form = ComplaintForm(data, instance=instance)
    formset = LossItemFormSet(data, instance=instance, prefix="losses")
    return form, formset


def _loss_changes(formset):
    """(rows to keep in display order, saved rows to delete) from a valid formset.

    Each form's instance already carries its cleaned values; unchanged blank
    extra rows are dropped.
    """
    keep, deleted = [], []
    for index, form in enumerate(formset.forms):
        instance = form.instance
        if index < formset.initial_form_count() and not instance.pk:
            # A row id that is not one of this case's rows (tampered, or
            # deleted in another tab): drop it, as Django's formsets do.
            continue
        if formset.can_delete and formset._should_delete_form(form):
            if instance.pk:
                deleted.append(instance)
        elif instance.pk or form.has_changed():
            keep.append(instance)
    return keep, deleted


def _after_save(request, complaint):
    """Submit when the user pressed "save and submit"; else back to the page."""
    if "submit" in request.POST:
        return _submit(request, complaint)
    messages.success(request, _("Draft saved."))
    if "add_row" in request.POST:
        return redirect("complaints:edit", complaint.public_id)
    return redirect(complaint)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_create(request):
    form, formset = _bind_forms(request, Complaint())
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            complaint = form.save(commit=False)
            losses, _deleted = _loss_changes(formset)
            try:
                token = uuid.UUID(request.POST.get("creation_token", ""))
            except ValueError:
                token = None
            complaint, created = services.complaint_create(
                owner=request.user,
                complaint=complaint,
                losses=losses,
                consent_processing=form.cleaned_data["consent_processing"],
                consent_sensitive=form.cleaned_data["consent_sensitive"],
                creation_token=token,
            )
            if not created:
                return redirect(complaint)
            return _after_save(request, complaint)
        messages.error(
            request, _("Please correct the marked fields. Nothing was saved yet.")
        )
    return render(
        request,
        "complaints/complaint_form.html",
        {
            "form": form,
            "formset": formset,
            "creation_token": request.POST.get("creation_token") or uuid.uuid4(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_edit(request, public_id):
    complaint = access.complaint_or_404(request.user, public_id)
    if not access.may(request.user, Action.EDIT, complaint):
        messages.warning(
            request, _("This case has been submitted and can no longer be edited.")
        )
        return redirect(complaint)
    form, formset = _bind_forms(request, complaint)
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            complaint = form.save(commit=False)
            losses, deleted = _loss_changes(formset)
            try:
                services.complaint_update(
                    actor=request.user,
                    complaint=complaint,
                    losses=losses,
                    deleted_losses=deleted,
                    consent_processing=form.cleaned_data["consent_processing"],
                    consent_sensitive=form.cleaned_data["consent_sensitive"],
                )
            except PermissionDenied:
                messages.error(
                    request,
                    _(
                        "This case has been submitted meanwhile; your changes were not saved."
                    ),
                )
                return redirect(complaint)
            return _after_save(request, complaint)
        messages.error(
            request,
            _("Please correct the marked fields. Your last saved draft is unchanged."),
        )
    return render(
        request,
        "complaints/complaint_form.html",
        {"form": form, "formset": formset, "complaint": complaint},
    )


@login_required
def complaint_detail(request, public_id):
    complaint = access.complaint_or_404(
        request.user,
        public_id,
        queryset=case_selectors.case_page_queryset(),
    )
    missing = []
    if complaint.status in (Status.DRAFT, Status.NEEDS_INFO):
        missing = missing_for_submission(complaint)
    plan = channels.channel_plan(complaint)
    return render(
        request,
        "complaints/complaint_detail.html",
        {
            "complaint": complaint,
            "missing": missing,
            "may_edit": access.may(request.user, Action.EDIT, complaint),
            "may_change_evidence": access.may(
                request.user, Action.CHANGE_EVIDENCE, complaint
            ),
            "transitions": workflow.allowed_transitions(
                request.user, complaint, role=workflow.OWNER
            ),
            "timeline": case_selectors.timeline(complaint),
            "information_request": case_selectors.information_request(complaint),
            "plan": plan,
            "filings": filings_overview(complaint, plan, timezone.localdate()),
            "may_record_filings": access.may(
                request.user, Action.RECORD_FILING, complaint
            ),
            "letters": case_selectors.case_letters(complaint),
            "message_form": MessageForm()
            if access.may(request.user, Action.MESSAGE, complaint)
            else None,
        },
    )


_DONE_MESSAGES = {
    Status.SUBMITTED: gettext_lazy(
        "Case %(number)s has been submitted. A reviewer will look at it."
    ),
    Status.WITHDRAWN: gettext_lazy("Case %(number)s has been withdrawn."),
}


def _transition(request, complaint, target, note=""):
    """Run an owner transition; explain a refusal on the page."""
    try:
        workflow.transition(
            complaint,
            target=target,
            actor=request.user,
            expected_status=request.POST.get("expected_status") or complaint.status,
            note=note,
            role=workflow.OWNER,
        )
    except workflow.TransitionError as error:
        messages.error(request, error.message)
        if error.problems:
            return render(
                request,
                "complaints/complaint_missing.html",
                {"complaint": complaint, "missing": error.problems},
            )
        return redirect(complaint)
    done = _DONE_MESSAGES.get(target)
    if done:
        messages.success(request, done % {"number": complaint.number})
    return redirect(complaint)


def _submit(request, complaint):
    return _transition(request, complaint, Status.SUBMITTED)


@login_required
@require_POST
def complaint_submit(request, public_id):
    complaint = access.complaint_or_404(request.user, public_id)
    return _submit(request, complaint)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_withdraw(request, public_id):
    """Withdrawal, after a confirmation page that says what it means."""
    complaint = access.complaint_or_404(request.user, public_id)
    rule = workflow.find(complaint.status, Status.WITHDRAWN, {workflow.OWNER})
    if rule is None:
        messages.error(request, _("This case can no longer be withdrawn."))
        return redirect(complaint)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _transition(
            request, complaint, Status.WITHDRAWN, note=form.cleaned_data["reason"]
        )
    return render(
        request,
        "complaints/complaint_withdraw.html",
        {"complaint": complaint, "form": form},
    )


@login_required
@require_POST
def complaint_message(request, public_id):
    """The user's reply to the reviewers."""
    complaint = access.complaint_or_404(request.user, public_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(form.errors.get("body", [])) or _("Write a message.")
        )
        return redirect(f"{complaint.get_absolute_url()}#timeline")
    try:
        services.message_post(
            actor=request.user, complaint=complaint, body=form.cleaned_data["body"]
        )
    except PermissionDenied:
        messages.error(request, _("Messages are not possible on this case now."))
        return redirect(complaint)
    messages.success(request, _("Your message was sent to the reviewers."))
    return redirect(f"{complaint.get_absolute_url()}#timeline")
