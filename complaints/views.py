"""User-facing complaint pages. Thin: check access, bind forms, call a
service or the workflow, redirect with a message."""

import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Sum
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, channels, clocks, services, workflow
from . import evidence as evidence_files
from .forms import (
    ComplaintForm,
    EvidenceEditForm,
    EvidenceUploadForm,
    EvidenceUploadFormSet,
    FilingForm,
    FilingReplyForm,
    LossItemFormSet,
    MessageForm,
    WithdrawForm,
    add_service_errors,
)
from .letters import context as letter_context
from .letters import render as letter_render
from .models import (
    Channel,
    Complaint,
    Evidence,
    Filing,
    Letter,
    LossItem,
    Message,
    Status,
    StatusChange,
)
from .submission import missing_for_submission

logger = logging.getLogger("casetracker.evidence")


def home(request):
    return render(request, "home.html")


def favicon(request):
    """Browsers ask for /favicon.ico on every page, admin pages included."""
    return redirect(static("favicon.svg"), permanent=True)


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


def _timeline(complaint):
    """What the user sees happen to their case, oldest first: status changes
    visible to them and messages (never internal notes)."""
    entries = [
        {"kind": "status", "at": change.created_at, "change": change}
        for change in complaint.status_changes.all()
        if change.visible_to_user
    ]
    entries += [
        {"kind": "message", "at": message.created_at, "message": message}
        for message in complaint.messages.all()
        if not message.internal
    ]
    return sorted(entries, key=lambda entry: entry["at"])


@login_required
def complaint_detail(request, public_id):
    complaint = access.get_own_complaint_or_404(
        request.user,
        public_id,
        Complaint.objects.select_related("respondent_institution", "brand")
        .with_total_claimed()
        .prefetch_related(
            Prefetch(
                "loss_items", queryset=LossItem.objects.order_by("position", "pk")
            ),
            Prefetch(
                "evidence",
                queryset=Evidence.objects.order_by(
                    "uploaded_at", "pk"
                ).prefetch_related("loss_items"),
            ),
            Prefetch(
                "status_changes",
                queryset=StatusChange.objects.filter(visible_to_user=True)
                .select_related("actor")
                .order_by("created_at", "pk"),
            ),
            Prefetch(
                "messages",
                queryset=Message.objects.filter(internal=False)
                .select_related("author")
                .order_by("created_at", "pk"),
            ),
        ),
    )
    missing = []
    if complaint.status in (Status.DRAFT, Status.NEEDS_INFO):
        missing = missing_for_submission(complaint)
    plan = channels.channel_plan(complaint)
    information_request = None
    if complaint.status == Status.NEEDS_INFO:
        requests = [
            c
            for c in complaint.status_changes.all()
            if c.to_status == Status.NEEDS_INFO
        ]
        information_request = requests[-1] if requests else None
    return render(
        request,
        "complaints/complaint_detail.html",
        {
            "complaint": complaint,
            "missing": missing,
            "may_edit": access.may_edit(request.user, complaint),
            "may_change_evidence": access.may_change_evidence(request.user, complaint),
            "transitions": workflow.allowed_transitions(
                request.user, complaint, role=workflow.OWNER
            ),
            "timeline": _timeline(complaint),
            "information_request": information_request,
            "plan": plan,
            "filings": filings_overview(complaint, plan, timezone.localdate()),
            "may_record_filings": services.may_record_filings(request.user, complaint),
            "letters": Letter.objects.filter(complaint=complaint)
            .select_related("channel")
            .order_by("channel__position", "language", "-version"),
            "message_form": MessageForm()
            if complaint.status in services.MESSAGE_STATUSES
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
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    return _submit(request, complaint)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_withdraw(request, public_id):
    """Withdrawal, after a confirmation page that says what it means."""
    complaint = access.get_own_complaint_or_404(request.user, public_id)
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
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(form.errors.get("body", [])) or _("Write a message.")
        )
        return redirect(f"{complaint.get_absolute_url()}#timeline")
    try:
        services.message_post(
            author=request.user, complaint=complaint, body=form.cleaned_data["body"]
        )
    except PermissionDenied:
        messages.error(request, _("Messages are not possible on this case now."))
        return redirect(complaint)
    messages.success(request, _("Your message was sent to the reviewers."))
    return redirect(f"{complaint.get_absolute_url()}#timeline")


# --- Evidence ----------------------------------------------------------------


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
    if access.may_change_evidence(request.user, complaint):
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
    complaint = access.get_own_complaint_or_404(request.user, public_id)
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
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    if not access.may_change_evidence(request.user, complaint):
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
    complaint = access.get_visible_complaint_or_404(request.user, public_id)
    item = access.get_evidence_or_404(complaint, evidence_id)
    try:
        return evidence_files.download_response(item)
    except OSError:
        logger.exception("evidence file missing: evidence=%s", item.pk)
        raise Http404("File missing.") from None


@login_required
def evidence_thumbnail(request, public_id, evidence_id):
    complaint = access.get_visible_complaint_or_404(request.user, public_id)
    item = access.get_evidence_or_404(complaint, evidence_id)
    handle = services.evidence_thumbnail(item)
    if handle is None:
        raise Http404("No preview.")
    return evidence_files.thumbnail_response(handle)


@login_required
@require_http_methods(["GET", "POST"])
def evidence_edit(request, public_id, evidence_id):
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    item = access.get_evidence_or_404(complaint, evidence_id)
    if (response := _editable_or_redirect(request, complaint)) is not None:
        return response
    form = EvidenceEditForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_update(
                actor=request.user,
                evidence=item,
                kind=form.cleaned_data["kind"],
                purpose=form.cleaned_data["purpose"],
                is_original=form.cleaned_data["is_original"],
                loss_items=form.cleaned_data["loss_items"],
            )
        except PermissionDenied:
            return _editable_or_redirect(request, complaint) or redirect(complaint)
        messages.success(request, _("Evidence details saved."))
        return redirect(f"{complaint.get_absolute_url()}#evidence")
    return render(
        request,
        "complaints/evidence_edit.html",
        {"complaint": complaint, "item": item, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def evidence_delete(request, public_id, evidence_id):
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    item = access.get_evidence_or_404(complaint, evidence_id)
    if (response := _editable_or_redirect(request, complaint)) is not None:
        return response
    if request.method == "POST":
        try:
            services.evidence_delete(actor=request.user, evidence=item)
        except PermissionDenied:
            return _editable_or_redirect(request, complaint) or redirect(complaint)
        messages.success(
            request, _("“%(name)s” was removed.") % {"name": item.original_name}
        )
        return redirect(f"{complaint.get_absolute_url()}#evidence")
    return render(
        request,
        "complaints/evidence_delete.html",
        {"complaint": complaint, "item": item},
    )


# --- Letters ----------------------------------------------------------------


def _letter_language(request) -> str:
    lang = request.GET.get("lang") or request.POST.get("lang") or "zh-hans"
    return lang if lang in services.LETTER_LANGUAGES else "zh-hans"


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
    complaint = access.get_own_complaint_or_404(
        request.user, public_id, letter_context.complaint_queryset()
    )
    channel_obj = _letter_channel_or_404(channel)
    language = _letter_language(request)
    entry = next(
        (e for e in channels.channel_plan(complaint) if e.channel.pk == channel_obj.pk),
        None,
    )
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
                if code in services.LETTER_LANGUAGES
            ],
            "letter_html": letter_html,
            "glyphs": glyphs,
            "is_draft": complaint.status == Status.DRAFT,
            "may_issue": services.may_issue_letters(request.user, complaint),
            "may_edit": access.may_edit(request.user, complaint),
            "versions": versions,
        },
    )


def _letter_refused(request, complaint, channel, error) -> HttpResponse:
    messages.error(request, error.message)
    for problem in error.problems:
        messages.warning(request, problem)
    return redirect(
        "complaints:letter_preview", public_id=complaint.public_id, channel=channel.code
    )


@login_required
@require_GET
def letter_draft_pdf(request, public_id, channel):
    """The draft PDF (watermarked 草稿) of a case not yet submitted."""
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    channel_obj = _letter_channel_or_404(channel)
    language = _letter_language(request)
    if complaint.status != Status.DRAFT:
        # Submitted: the final letter is a stored version.
        messages.info(request, _("The case is submitted: download the final letter."))
        return redirect(
            "complaints:letter_preview", public_id=public_id, channel=channel_obj.code
        )
    try:
        pdf = services.letter_draft_pdf(
            actor=request.user,
            complaint=complaint,
            channel=channel_obj,
            language=language,
        )
    except services.LetterNotReady as error:
        return _letter_refused(request, complaint, channel_obj, error)
    return _pdf_response(
        pdf, f"{complaint.number}-{channel_obj.code}-{language}-draft.pdf"
    )


@login_required
@require_POST
def letter_issue(request, public_id, channel):
    """Make (or find) the final letter version, then download it."""
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    channel_obj = _letter_channel_or_404(channel)
    language = _letter_language(request)
    if not services.may_issue_letters(request.user, complaint):
        messages.error(
            request, _("Final letters are made once the case has been submitted.")
        )
        return redirect(
            "complaints:letter_preview", public_id=public_id, channel=channel_obj.code
        )
    try:
        letter, _created = services.letter_issue(
            actor=request.user,
            complaint=complaint,
            channel=channel_obj,
            language=language,
        )
    except services.LetterNotReady as error:
        return _letter_refused(request, complaint, channel_obj, error)
    # No success message: the redirect is a file download, which shows none;
    # the preview lists the stored versions.
    return redirect(
        "complaints:letter_download", public_id=public_id, letter_id=letter.public_id
    )


@login_required
@require_GET
def letter_download(request, public_id, letter_id):
    """A stored letter version, byte for byte as it was made."""
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    try:
        letter = Letter.objects.select_related("channel").get(
            complaint=complaint, public_id=letter_id
        )
    except Letter.DoesNotExist:
        raise Http404("No such letter.") from None
    letter.complaint = complaint
    return _pdf_response(services.letter_bytes(letter), letter.file_name)


# --- Filings ----------------------------------------------------------------


def filings_overview(complaint, plan, today):
    """Each filing with its deadlines, where it stands and what to do next,
    and the case's limitation period (for the case page)."""
    filings = list(
        Filing.objects.filter(complaint=complaint)
        .select_related("channel", "letter", "proof")
        .order_by("sent_on", "pk")
    )
    rows = []
    for filing in filings:
        clock = clocks.filing_clock(
            filing.channel.clock_rules,
            filing.sent_on,
            accepted_on=filing.accepted_on,
            answered=filing.outcome in Filing.FINAL_OUTCOMES,
            in_progress=filing.outcome == Filing.Outcome.ACCEPTED,
        )
        rows.append(
            {
                "filing": filing,
                "deadlines": [
                    {
                        "label": clocks.stage_label(d.stage),
                        "days": d.days,
                        "unit": d.unit,
                        "due": d.due,
                        "current": clock.current is not None and d == clock.current,
                        "extension": bool(
                            (filing.channel.clock_rules or [])[i].get("extension")
                        ),
                    }
                    for i, d in enumerate(clock.deadlines)
                ],
                "current": clock.current,
                "current_label": clocks.stage_label(clock.current.stage)
                if clock.current
                else "",
                "days_left": clock.days_left(today),
                "days_overdue": -clock.days_left(today) if clock.overdue(today) else 0,
                "overdue": clock.overdue(today),
                "approximate": clock.approximate,
                "next_steps": channels.next_steps(plan, filing, filings, today),
            }
        )
    limitation = clocks.case_limitation(complaint, filings)
    return {
        "rows": rows,
        "limitation": limitation,
        "limitation_days_left": limitation.days_left(today) if limitation else None,
        "limitation_warning": limitation.warning(today) if limitation else False,
        "limitation_expired": limitation.expired(today) if limitation else False,
    }


def _back_to_filings(request, complaint, error=None):
    """To the case page's filings, with an error message when there is one."""
    if error is not None:
        messages.error(request, error)
    return redirect(f"{complaint.get_absolute_url()}#filings")


@login_required
@require_http_methods(["GET", "POST"])
def filing_create(request, public_id):
    """Record that a letter was sent (where, when, how, reference, proof)."""
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    if not services.may_record_filings(request.user, complaint):
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
    complaint = access.get_own_complaint_or_404(request.user, public_id)
    try:
        filing = Filing.objects.select_related("channel").get(
            complaint=complaint, public_id=filing_id
        )
    except Filing.DoesNotExist:
        raise Http404("No such filing.") from None
    if not services.may_record_filings(request.user, complaint):
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
