"""User-facing complaint pages. Thin: check access, bind forms, call a
service or the workflow, redirect with a message."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import access, services, workflow
from .forms import ComplaintForm, LossItemFormSet
from .models import Complaint, LossItem, Status
from .submission import missing_for_submission


def home(request):
    return render(request, "home.html")


@login_required
def complaint_list(request):
    complaints = (
        access.own_complaints(request.user)
        .select_related("respondent_institution")
        .with_total_claimed()
        .order_by("-updated_at", "-pk")
    )
    paginator = Paginator(complaints, settings.COMPLAINTS_PER_PAGE)
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
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    if not access.may_edit(request.user, complaint):
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
    complaint = access.get_own_complaint_or_404(
        request.user,
        public_id,
        Complaint.objects.select_related("respondent_institution", "brand")
        .with_total_claimed()
        .prefetch_related(
            Prefetch("loss_items", queryset=LossItem.objects.order_by("position", "pk"))
        ),
    )
    missing = []
    if complaint.status == Status.DRAFT:
        missing = missing_for_submission(complaint)
    return render(
        request,
        "complaints/complaint_detail.html",
        {
            "complaint": complaint,
            "missing": missing,
            "may_edit": access.may_edit(request.user, complaint),
            "transitions": workflow.allowed_transitions(request.user, complaint),
        },
    )


def _submit(request, complaint):
    try:
        workflow.transition(
            complaint,
            target=Status.SUBMITTED,
            actor=request.user,
            expected_status=Status.DRAFT,
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
    messages.success(
        request,
        _("Case %(number)s has been submitted. A reviewer will look at it.")
        % {"number": complaint.number},
    )
    return redirect(complaint)


@login_required
@require_POST
def complaint_submit(request, public_id):
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    return _submit(request, complaint)
