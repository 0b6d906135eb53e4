"""Evidence pages: uploading (several at once, or one by one from the page's
script), downloading, previewing, describing and deleting a file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from .. import access, services
from .. import evidence as evidence_files
from ..access import Action
from ..forms import (
    EvidenceEditForm,
    EvidenceUploadForm,
    EvidenceUploadFormSet,
)
from ..models import Complaint, Evidence

logger = logging.getLogger("casetracker.evidence")


def _evidence_page_context(complaint):
    stats = complaint.evidence.aggregate(count=Count("pk"), total=Sum("size"))
    used = stats["total"] or 0
    return {
        "complaint": complaint,
        "evidence_items": complaint.evidence.all(),
        "allowed_types": evidence_files.ALLOWED_TYPES_TEXT,
        "max_file_mb": settings.EVIDENCE_MAX_FILE_BYTES // 1048576,
        "max_files": settings.EVIDENCE_MAX_FILES,
        "files_left": max(0, settings.EVIDENCE_MAX_FILES - stats["count"]),
        "space_left_mb": max(0, settings.EVIDENCE_MAX_COMPLAINT_BYTES - used) / 1048576,
    }


def _editable_or_redirect(request, complaint):
    if access.may(request.user, Action.CHANGE_EVIDENCE, complaint):
        return None
    messages.warning(
        request,
        _(
            "Evidence can be changed only while the case is a draft or information is requested."
        ),
    )
    return redirect(complaint)


@login_required
@require_http_methods(["GET", "POST"])
def evidence_upload(request, public_id):
    """Several files at once, each with its kind and purpose. Works without
    JavaScript; with it, the page uploads file by file (evidence_upload_one)
    with progress and retry."""
    complaint = access.complaint_or_404(request.user, public_id)
    if (response := _editable_or_redirect(request, complaint)) is not None:
        return response
    formset = EvidenceUploadFormSet(
        request.POST or None, request.FILES or None, prefix="evidence"
    )
    if request.method == "POST" and formset.is_valid():
        saved = failed = 0
        for form in formset.forms:
            upload = form.cleaned_data.get("file")
            if not upload:
                continue
            try:
                services.evidence_add(
                    actor=request.user,
                    complaint=complaint,
                    uploaded_file=upload,
                    kind=form.cleaned_data["kind"],
                    purpose=form.cleaned_data["purpose"],
                    is_original=form.cleaned_data["is_original"],
                )
                saved += 1
            except ValidationError as error:
                form.add_error("file", error)
                failed += 1
            except PermissionDenied:
                return _editable_or_redirect(request, complaint) or redirect(complaint)
        if saved:
            messages.success(
                request,
                ngettext("%(count)d file uploaded.", "%(count)d files uploaded.", saved)
                % {"count": saved},
            )
        if not failed and saved:
            return redirect(f"{complaint.get_absolute_url()}#evidence")
        if not saved and not failed:
            messages.error(request, _("Choose at least one file to upload."))
        else:
            messages.error(
                request,
                _(
                    "Some files were refused; see the reasons below. Choose those files again after fixing them."
                ),
            )
    elif request.method == "POST":
        messages.error(request, _("Please correct the marked fields."))
    context = _evidence_page_context(complaint)
    context["formset"] = formset
    return render(request, "complaints/evidence_upload.html", context)


@login_required
@require_POST
def evidence_upload_one(request, public_id):
    """One file, answered in JSON, for the page's script (progress, retry)."""
    complaint = access.complaint_or_404(request.user, public_id)
    if not access.may(request.user, Action.CHANGE_EVIDENCE, complaint):
        return JsonResponse(
            {
                "errors": {
                    "__all__": [_("Evidence can no longer be changed for this case.")]
                }
            },
            status=403,
        )
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid() or not form.cleaned_data.get("file"):
        if form.is_valid():
            form.add_error("file", _("Choose a file."))
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    try:
        item = services.evidence_add(
            actor=request.user,
            complaint=complaint,
            uploaded_file=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            purpose=form.cleaned_data["purpose"],
            is_original=form.cleaned_data["is_original"],
        )
    except ValidationError as error:
        return JsonResponse(
            {"errors": {"file": [{"message": m} for m in error.messages]}}, status=400
        )
    except PermissionDenied:
        return JsonResponse(
            {
                "errors": {
                    "__all__": [_("Evidence can no longer be changed for this case.")]
                }
            },
            status=403,
        )
    messages.success(request, _("“%(name)s” uploaded.") % {"name": item.original_name})
    return JsonResponse(
        {
            "id": str(item.public_id),
            "name": item.original_name,
            "size": item.size,
            "sha256": item.sha256,
        },
        status=201,
    )


@login_required
def evidence_download(request, public_id, evidence_id):
    complaint = access.complaint_or_404(request.user, public_id, action=Action.VIEW)
    item = access.row_or_404(complaint, Evidence, evidence_id)
    try:
        return evidence_files.download_response(item)
    except OSError:
        logger.exception("evidence file missing: evidence=%s", item.pk)
        raise Http404("File missing.") from None


@login_required
def evidence_thumbnail(request, public_id, evidence_id):
    complaint = access.complaint_or_404(request.user, public_id, action=Action.VIEW)
    item = access.row_or_404(complaint, Evidence, evidence_id)
    handle = services.evidence_thumbnail(item)
    if handle is None:
        raise Http404("No preview.")
    return evidence_files.thumbnail_response(handle)


def _own_evidence(
    request: HttpRequest, public_id: str, evidence_id: str
) -> tuple[Complaint, Evidence]:
    """The owner's case and one of its files, or 404."""
    complaint = access.complaint_or_404(request.user, public_id)
    return complaint, access.row_or_404(complaint, Evidence, evidence_id)


def _change_evidence(
    request: HttpRequest, complaint: Complaint, change: Callable[[], object], done: str
) -> HttpResponse:
    """Run `change` (a service); back to the evidence saying `done`, or, when
    the case was submitted meanwhile, say that it can no longer change."""
    try:
        change()
    except PermissionDenied:
        return _editable_or_redirect(request, complaint) or redirect(complaint)
    messages.success(request, done)
    return redirect(f"{complaint.get_absolute_url()}#evidence")


@login_required
@require_http_methods(["GET", "POST"])
def evidence_edit(request, public_id, evidence_id):
    complaint, item = _own_evidence(request, public_id, evidence_id)
    if (response := _editable_or_redirect(request, complaint)) is not None:
        return response
    form = EvidenceEditForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        fields = ("kind", "purpose", "is_original", "loss_items")
        details = {name: form.cleaned_data[name] for name in fields}
        return _change_evidence(
            request,
            complaint,
            lambda: services.evidence_update(
                actor=request.user, evidence=item, **details
            ),
            _("Evidence details saved."),
        )
    return render(
        request,
        "complaints/evidence_edit.html",
        {"complaint": complaint, "item": item, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def evidence_delete(request, public_id, evidence_id):
    complaint, item = _own_evidence(request, public_id, evidence_id)
    if (response := _editable_or_redirect(request, complaint)) is not None:
        return response
    if request.method == "POST":
        return _change_evidence(
            request,
            complaint,
            lambda: services.evidence_delete(actor=request.user, evidence=item),
            _("“%(name)s” was removed.") % {"name": item.original_name},
        )
    return render(
        request,
        "complaints/evidence_delete.html",
        {"complaint": complaint, "item": item},
    )
