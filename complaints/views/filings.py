"""Filing pages: recording that a letter was sent, and the body's answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import access, services, workflow
from ..access import Action
from ..forms import (
    FilingForm,
    FilingReplyForm,
    add_service_errors,
)
from ..models import (
    Channel,
    Filing,
    Letter,
)


def _back_to_filings(request, complaint, error=None):
    """To the case page's filings, with an error message when there is one."""
    if error is not None:
        messages.error(request, error)
    return redirect(f"{complaint.get_absolute_url()}#filings")


@login_required
@require_http_methods(["GET", "POST"])
def filing_create(request, public_id):
    """Record that a letter was sent (where, when, how, reference, proof)."""
    complaint = access.complaint_or_404(request.user, public_id)
    if not access.may(request.user, Action.RECORD_FILING, complaint):
        return _back_to_filings(
            request,
            complaint,
            _(
                "Filings can be recorded once the case is submitted and until it is closed."
            ),
        )
    initial = {"sent_on": timezone.localdate()}
    code = request.GET.get("channel")
    if code:
        channel = Channel.objects.filter(code=code, is_active=True).first()
        if channel is not None:
            initial["channel"] = channel
            latest = (
                Letter.objects.filter(complaint=complaint, channel=channel)
                .order_by("-created_at")
                .first()
            )
            if latest is not None:
                initial["letter"] = latest
    form = FilingForm(request.POST or None, complaint=complaint, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.filing_record(
                actor=request.user,
                complaint=complaint,
                **{name: data[name] for name in services.FILING_FIELDS},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            return _back_to_filings(
                request, complaint, _("Filings cannot be recorded for this case now.")
            )
        except workflow.TransitionError as error:
            return _back_to_filings(request, complaint, error.message)
        else:
            messages.success(
                request,
                _("The filing is recorded. Its due dates are on the case page."),
            )
            return _back_to_filings(request, complaint)
    return render(
        request,
        "complaints/filing_form.html",
        {"complaint": complaint, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def filing_reply(request, public_id, filing_id):
    """Record what the body answered (or that it accepted the complaint)."""
    complaint = access.complaint_or_404(request.user, public_id)
    filing = access.row_or_404(
        complaint, Filing.objects.select_related("channel"), filing_id
    )
    if not access.may(request.user, Action.RECORD_FILING, complaint):
        return _back_to_filings(
            request,
            complaint,
            _(
                "Filings can be recorded once the case is submitted and until it is closed."
            ),
        )
    form = FilingReplyForm(request.POST or None, instance=filing)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.filing_reply(
                actor=request.user,
                filing=filing,
                **{name: data[name] for name in services.REPLY_FIELDS},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            return _back_to_filings(
                request, complaint, _("Filings cannot be recorded for this case now.")
            )
        else:
            messages.success(request, _("The answer is recorded."))
            return _back_to_filings(request, complaint)
    return render(
        request,
        "complaints/filing_reply.html",
        {"complaint": complaint, "filing": filing, "form": form},
    )
