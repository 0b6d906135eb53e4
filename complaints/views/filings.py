"""Filing pages: recording that a letter was sent, and the body's answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import access, services, workflow
from ..access import Action
from ..forms import FilingForm, FilingReplyForm, add_service_errors
from ..models import Channel, Complaint, Filing, Letter


def _back_to_filings(
    request: HttpRequest, complaint: Complaint, error: str | None = None
) -> HttpResponse:
    """To the case page's filings, with an error message when there is one."""
    if error is not None:
        messages.error(request, error)
    return redirect(f"{complaint.get_absolute_url()}#filings")


@dataclass(frozen=True)
class FilingPage:
    """One of the two filing forms: the service it calls with the form's
    fields, what it says when done, its template."""

    service: str  # the name of the service in complaints.services
    fields: tuple[str, ...]
    done: str | Promise
    template: str


RECORD = FilingPage(
    "filing_record",
    services.FILING_FIELDS,
    gettext_lazy("The filing is recorded. Its due dates are on the case page."),
    "complaints/filing_form.html",
)
ANSWER = FilingPage(
    "filing_reply",
    services.REPLY_FIELDS,
    gettext_lazy("The answer is recorded."),
    "complaints/filing_reply.html",
)


def _filing_page(
    request: HttpRequest,
    page: FilingPage,
    complaint: Complaint,
    form: forms.ModelForm,
    /,
    **target: Any,
) -> HttpResponse:
    """A filing form, for both pages: refused (back to the filings) when the
    case takes no filings now; on a valid POST, the page's service gets the
    cleaned fields and `target` (the complaint, or the filing answered); a
    refusal from it is shown on the form, or, when the case moved on
    meanwhile, on the case page."""
    if not access.may(request.user, Action.RECORD_FILING, complaint):
        return _back_to_filings(
            request,
            complaint,
            _(
                "Filings can be recorded once the case is submitted and until it is closed."
            ),
        )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in page.fields}
        try:
            getattr(services, page.service)(actor=request.user, **target, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            return _back_to_filings(
                request, complaint, _("Filings cannot be recorded for this case now.")
            )
        except workflow.TransitionError as error:
            return _back_to_filings(request, complaint, error.message)
        else:
            messages.success(request, page.done)
            return _back_to_filings(request, complaint)
    return render(
        request, page.template, {"complaint": complaint, "form": form, **target}
    )


@login_required
@require_http_methods(["GET", "POST"])
def filing_create(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record that a letter was sent (where, when, how, reference, proof)."""
    complaint = access.complaint_or_404(request.user, public_id)
    initial: dict[str, Any] = {"sent_on": timezone.localdate()}
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
    return _filing_page(request, RECORD, complaint, form, complaint=complaint)


@login_required
@require_http_methods(["GET", "POST"])
def filing_reply(request: HttpRequest, public_id: str, filing_id: str) -> HttpResponse:
    """Record what the body answered (or that it accepted the complaint)."""
    complaint = access.complaint_or_404(request.user, public_id)
    filing = access.row_or_404(
        complaint, Filing.objects.select_related("channel"), filing_id
    )
    form = FilingReplyForm(request.POST or None, instance=filing)
    return _filing_page(request, ANSWER, complaint, form, filing=filing)
