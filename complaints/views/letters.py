"""Letter pages: the preview with what is missing, the draft PDF, issuing the
final version and downloading stored versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import access, channels
from .. import evidence as evidence_files
from ..access import Action
from ..letters import context as letter_context
from ..letters import issue
from ..letters import render as letter_render
from ..models import (
    Channel,
    Complaint,
    Letter,
    Status,
)


def _letter_language(request) -> str:
    lang = request.GET.get("lang") or request.POST.get("lang") or "zh-hans"
    return lang if lang in issue.LETTER_LANGUAGES else "zh-hans"


def _letter_channel_or_404(code: str) -> Channel:
    try:
        return Channel.objects.get(code=code, is_active=True)
    except Channel.DoesNotExist:
        raise Http404("No such channel.") from None


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return evidence_files.private_headers(response)


@login_required
def letter_preview(request, public_id, channel):
    """A letter on screen, with what it still lacks and any characters the
    PDF fonts cannot print."""
    complaint = access.complaint_or_404(
        request.user, public_id, queryset=letter_context.complaint_queryset()
    )
    channel_obj = _letter_channel_or_404(channel)
    language = _letter_language(request)
    entry = channels.plan_entry(complaint, channel_obj)
    letter_html = glyphs = None
    if (
        entry is not None
        and entry.usable
        and channels.template_exists(channel_obj.letter_template)
    ):
        with translation.override(language):
            data = letter_context.build_context(
                complaint, channel_obj, draft=complaint.status == Status.DRAFT
            )
        letter_html = letter_render.render_html(
            channel_obj.letter_template, data, language=language
        )
        glyphs = letter_render.glyph_report(letter_html)
    versions = (
        Letter.objects.filter(complaint=complaint, channel=channel_obj)
        .select_related("created_by")
        .order_by("language", "-version")
    )
    return render(
        request,
        "complaints/letter_preview.html",
        {
            "complaint": complaint,
            "channel": channel_obj,
            "entry": entry,
            "language": language,
            "letter_languages": [
                (code, name)
                for code, name in settings.LANGUAGES
                if code in issue.LETTER_LANGUAGES
            ],
            "letter_html": letter_html,
            "glyphs": glyphs,
            "is_draft": complaint.status == Status.DRAFT,
            "may_issue": access.may(request.user, Action.ISSUE_LETTER, complaint),
            "may_edit": access.may(request.user, Action.EDIT, complaint),
            "versions": versions,
        },
    )


def _to_preview(
    request: HttpRequest,
    complaint: Complaint,
    channel: Channel,
    level: int,
    message: str,
    problems: Iterable[object] = (),
) -> HttpResponse:
    """Back to the letter's preview, saying why (and what is missing)."""
    messages.add_message(request, level, message)
    for problem in problems:
        messages.warning(request, problem)
    return redirect(
        "complaints:letter_preview", public_id=complaint.public_id, channel=channel.code
    )


class LetterRequest(NamedTuple):
    """What a letter URL names: the owner's case, the channel, the language
    (the keyword arguments of the letter services)."""

    complaint: Complaint
    channel: Channel
    language: str


def _letter_request(
    request: HttpRequest, public_id: str, channel: str
) -> LetterRequest:
    complaint = access.complaint_or_404(request.user, public_id)
    return LetterRequest(
        complaint, _letter_channel_or_404(channel), _letter_language(request)
    )


def _refused(
    request: HttpRequest, letter: LetterRequest, error: issue.LetterNotReady
) -> HttpResponse:
    return _to_preview(
        request,
        letter.complaint,
        letter.channel,
        messages.ERROR,
        error.message,
        error.problems,
    )


@login_required
@require_GET
def letter_draft_pdf(request, public_id, channel):
    """The draft PDF (watermarked 草稿) of a case not yet submitted."""
    letter = _letter_request(request, public_id, channel)
    complaint, channel_obj, language = letter
    if complaint.status != Status.DRAFT:
        # Submitted: the final letter is a stored version.
        message = _("The case is submitted: download the final letter.")
        return _to_preview(request, complaint, channel_obj, messages.INFO, message)
    try:
        pdf = issue.letter_draft_pdf(actor=request.user, **letter._asdict())
    except issue.LetterNotReady as error:
        return _refused(request, letter, error)
    return _pdf_response(
        pdf, f"{complaint.number}-{channel_obj.code}-{language}-draft.pdf"
    )


@login_required
@require_POST
def letter_issue(request, public_id, channel):
    """Make (or find) the final letter version, then download it."""
    letter = _letter_request(request, public_id, channel)
    if not access.may(request.user, Action.ISSUE_LETTER, letter.complaint):
        message = _("Final letters are made once the case has been submitted.")
        return _to_preview(
            request, letter.complaint, letter.channel, messages.ERROR, message
        )
    try:
        stored, _created = issue.letter_issue(actor=request.user, **letter._asdict())
    except issue.LetterNotReady as error:
        return _refused(request, letter, error)
    # No success message: the redirect is a file download, which shows none;
    # the preview lists the stored versions.
    return redirect(
        "complaints:letter_download", public_id=public_id, letter_id=stored.public_id
    )


@login_required
@require_GET
def letter_download(request, public_id, letter_id):
    """A stored letter version, byte for byte as it was made."""
    complaint = access.complaint_or_404(request.user, public_id)
    letter = access.row_or_404(
        complaint, Letter.objects.select_related("channel"), letter_id
    )
    letter.complaint = complaint
    return _pdf_response(issue.letter_bytes(letter), letter.file_name)
