"""Writes that are not status changes: creating and updating complaints.

Each function takes the acting user, validates with `full_clean()` and runs
in one transaction. Status is never written here (see `workflow.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from . import access
from .models import CaseNumberCounter, Complaint, LossItem


def next_case_number(year: int | None = None) -> str:
    """Hand out the next `WQ-<year>-<6 digits>` number.

    Must run inside a transaction: the counter row stays locked until it
    commits, so concurrent callers queue on it and never share a number.
    """
    if year is None:
        year = timezone.localdate().year
    updated = CaseNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
    if not updated:
        try:
            # The first case of a year creates the row; a concurrent first
            # caller loses the race on the primary key and retries the update.
            with transaction.atomic():
                CaseNumberCounter.objects.create(year=year, last=1)
        except IntegrityError:
            CaseNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
    last = CaseNumberCounter.objects.values_list("last", flat=True).get(year=year)
    return f"WQ-{year}-{last:06d}"


def _apply_consents(complaint: Complaint, *, processing: bool, sensitive: bool) -> None:
    """Record consent times; unticking a box withdraws that consent."""
    now = timezone.now()
    changed = False
    if processing and complaint.consent_processing_at is None:
        complaint.consent_processing_at = now
        changed = True
    elif not processing:
        complaint.consent_processing_at = None
    if sensitive and complaint.consent_sensitive_at is None:
        complaint.consent_sensitive_at = now
        changed = True
    elif not sensitive:
        complaint.consent_sensitive_at = None
    if changed:
        complaint.consent_policy_version = settings.PRIVACY_POLICY_VERSION


def _save_losses(
    complaint: Complaint,
    losses: Iterable[LossItem],
    deleted: Iterable[LossItem],
) -> None:
    for item in deleted:
        if item.pk and item.complaint_id == complaint.pk:
            item.delete()
    for position, item in enumerate(losses):
        item.complaint = complaint
        item.position = position
        item.full_clean()
        item.save()


def complaint_create(
    *,
    owner,
    complaint: Complaint,
    losses: Iterable[LossItem] = (),
    consent_processing: bool = False,
    consent_sensitive: bool = False,
    creation_token: uuid.UUID | None = None,
) -> tuple[Complaint, bool]:
    """Save a new draft with its case number and loss items.

    `complaint` is an unsaved instance carrying the facts. When the same
    `creation_token` was already used by this owner (a double-click or a
    retried POST), nothing is created and the existing case is returned.
    Returns (complaint, created).
    """

    def earlier() -> Complaint | None:
        if creation_token is None:
            return None
        return Complaint.objects.filter(
            owner=owner, creation_token=creation_token
        ).first()

    if (existing := earlier()) is not None:
        return existing, False
    try:
        with transaction.atomic():
            complaint.owner = owner
            complaint.creation_token = creation_token
            complaint.number = next_case_number()
            _apply_consents(
                complaint, processing=consent_processing, sensitive=consent_sensitive
            )
            complaint.full_clean()
            complaint.save()
            _save_losses(complaint, losses, ())
    except (IntegrityError, ValidationError):
        # A concurrent request with the same token won: full_clean() sees its
        # committed row (ValidationError) or the insert hits the constraint.
        if (existing := earlier()) is not None:
            return existing, False
        raise
    return complaint, True


def complaint_update(
    *,
    actor,
    complaint: Complaint,
    losses: Iterable[LossItem] = (),
    deleted_losses: Iterable[LossItem] = (),
    consent_processing: bool = False,
    consent_sensitive: bool = False,
) -> Complaint:
    """Save the user's changes to their editable complaint and its losses.

    Refuses (PermissionDenied) when the actor may not edit it, checked again
    under a row lock so that a case submitted in another tab stays unchanged.
    """
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if not access.may_edit(actor, locked):
            raise PermissionDenied("complaint not editable")
        _apply_consents(
            complaint, processing=consent_processing, sensitive=consent_sensitive
        )
        complaint.full_clean()
        # Everything the user can edit; never status, owner or number.
        complaint.save(
            update_fields=[
                f.name
                for f in Complaint._meta.concrete_fields
                if f.editable and not f.primary_key and f.name != "owner"
            ]
            + [
                "consent_processing_at",
                "consent_sensitive_at",
                "consent_policy_version",
                "updated_at",
            ]
        )
        _save_losses(complaint, losses, deleted_losses)
    return complaint


# --- Evidence ---------------------------------------------------------------


def _evidence_limits_error(complaint: Complaint, size: int):
    from django.utils.translation import gettext as _

    from .models import Evidence

    stats = Evidence.objects.filter(complaint=complaint).aggregate(
        count=Count("pk"), total=Sum("size")
    )
    if stats["count"] >= settings.EVIDENCE_MAX_FILES:
        return ValidationError(
            _("A case can hold at most %(max)d files.")
            % {"max": settings.EVIDENCE_MAX_FILES},
            code="too_many_files",
        )
    if (stats["total"] or 0) + size > settings.EVIDENCE_MAX_COMPLAINT_BYTES:
        return ValidationError(
            _("This file would take the case over its %(max)d MB of evidence.")
            % {"max": settings.EVIDENCE_MAX_COMPLAINT_BYTES // 1048576},
            code="case_full",
        )
    return None


def evidence_add(
    *,
    actor,
    complaint: Complaint,
    uploaded_file,
    kind: str,
    purpose: str,
    is_original: bool = True,
):
    """Check an uploaded file and store it as evidence of `complaint`.

    Raises ValidationError (a message for the user) when the file is refused,
    is already attached to this case, or breaks a limit; PermissionDenied
    when the actor may not add evidence now. The file is written to private
    storage under a random name; if anything fails afterwards it is deleted
    again, so no orphan is left behind.
    """
    from django.utils.translation import gettext as _

    from . import evidence as evidence_files
    from .models import Evidence, evidence_storage

    inspection = evidence_files.inspect_upload(uploaded_file)
    storage = evidence_storage()
    stored_name = None
    try:
        with transaction.atomic():
            locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
            if not access.may_change_evidence(actor, locked):
                raise PermissionDenied("evidence cannot be added now")
            duplicate = (
                Evidence.objects.filter(complaint=locked, sha256=inspection.sha256)
                .only("original_name")
                .first()
            )
            if duplicate is not None:
                raise ValidationError(
                    _("This file is already attached to the case as “%(name)s”.")
                    % {"name": duplicate.original_name},
                    code="duplicate",
                )
            error = _evidence_limits_error(locked, inspection.size)
            if error is not None:
                raise error
            fileobj = (
                uploaded_file.file if hasattr(uploaded_file, "file") else uploaded_file
            )
            fileobj.seek(0)
            stored_name = storage.save(evidence_files.storage_name(), fileobj)
            item = Evidence(
                complaint=locked,
                kind=kind,
                purpose=purpose,
                is_original=is_original,
                original_name=inspection.display_name,
                content_type=inspection.content_type,
                size=inspection.size,
                sha256=inspection.sha256,
                uploaded_by=actor,
            )
            item.file.name = stored_name
            item.full_clean(exclude=["file"])
            item.save()
            # Touch the case so "last update" reflects new evidence.
            Complaint.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    except BaseException:
        if stored_name:
            storage.delete(stored_name)
        raise
    return item


def _delete_files_on_commit(storage, names) -> None:
    names = [n for n in names if n]

    def delete():
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def evidence_delete(*, actor, evidence) -> None:
    """Remove an evidence item; its files go once the transaction commits."""
    from .models import Evidence

    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=evidence.complaint_id)
        if not access.may_change_evidence(actor, locked):
            raise PermissionDenied("evidence cannot be deleted now")
        item = Evidence.objects.get(pk=evidence.pk)
        storage = item.file.storage
        names = [item.file.name, item.thumbnail]
        item.delete()
        Complaint.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
        _delete_files_on_commit(storage, names)


def evidence_update(
    *, actor, evidence, kind: str, purpose: str, is_original: bool, loss_items
):
    """Change what the user says about a file (never the file itself)."""
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=evidence.complaint_id)
        if not access.may_change_evidence(actor, locked):
            raise PermissionDenied("evidence cannot be changed now")
        evidence.kind = kind
        evidence.purpose = purpose
        evidence.is_original = is_original
        evidence.full_clean(exclude=["file"])
        evidence.save(update_fields=["kind", "purpose", "is_original"])
        evidence.loss_items.set([i for i in loss_items if i.complaint_id == locked.pk])
    return evidence


def evidence_review(*, reviewer, evidence, verdict: str, note: str):
    """A reviewer's verdict on a file, with a note the user sees."""
    if not access.is_reviewer(reviewer) or not reviewer.has_perm(
        "complaints.change_evidence"
    ):
        raise PermissionDenied("only reviewers review evidence")
    evidence.verdict = verdict
    evidence.review_note = note
    evidence.reviewed_by = reviewer
    evidence.reviewed_at = timezone.now()
    evidence.full_clean(exclude=["file"])
    evidence.save(
        update_fields=["verdict", "review_note", "reviewed_by", "reviewed_at"]
    )
    return evidence


def evidence_thumbnail(evidence):
    """Open the item's thumbnail, making it from the stored image first if
    needed. Returns a readable file, or None when the item is not an image
    or cannot be decoded."""
    from . import evidence as evidence_files
    from .models import Evidence

    storage = evidence.file.storage
    if evidence.thumbnail and storage.exists(evidence.thumbnail):
        return storage.open(evidence.thumbnail, "rb")
    if not evidence.is_image:
        return None
    try:
        with storage.open(evidence.file.name, "rb") as source:
            content = evidence_files.make_thumbnail(source)
    except (OSError, ValueError):
        return None
    name = storage.save(f"thumbnails/{evidence_files.storage_name()}", content)
    # Replace the name this request saw: empty, or a lost file's name.
    updated = Evidence.objects.filter(
        pk=evidence.pk, thumbnail=evidence.thumbnail
    ).update(thumbnail=name)
    if not updated:
        # Another request made one first; keep theirs.
        storage.delete(name)
        evidence.refresh_from_db(fields=["thumbnail"])
        return storage.open(evidence.thumbnail, "rb")
    evidence.thumbnail = name
    return storage.open(name, "rb")


# --- Messages and assignment ------------------------------------------------

# The user may write to the reviewers while the case is being handled.
MESSAGE_STATUSES = frozenset(
    {"submitted", "in_review", "needs_info", "accepted", "filed", "resolved"}
)


def message_post(*, author, complaint: Complaint, body: str, internal: bool = False):
    """Add a message (or, for reviewers, an internal note) to a case.

    The owner may write while the case is being handled; reviewers may always
    write. Internal notes are for reviewers only. The other side is emailed
    after commit (never for internal notes).
    """
    from . import notifications
    from .models import Message

    is_owner = complaint.owner_id == author.pk
    reviewer = access.is_reviewer(author) and author.has_perm("complaints.add_message")
    if internal and not reviewer:
        raise PermissionDenied("only reviewers write internal notes")
    if not reviewer and not (is_owner and complaint.status in MESSAGE_STATUSES):
        raise PermissionDenied("messages are not possible on this case now")
    with transaction.atomic():
        message = Message(
            complaint=complaint, author=author, body=body.strip(), internal=internal
        )
        message.full_clean()
        message.save()
        transaction.on_commit(lambda: notifications.message_posted(message.pk))
    return message


def complaint_assign(*, actor, complaint: Complaint, assignee) -> Complaint:
    """Make `assignee` (a reviewer) responsible for the case.

    Not a status change; the case's timeline is unaffected.
    """
    if not (
        access.is_reviewer(actor) and actor.has_perm("complaints.review_complaint")
    ):
        raise PermissionDenied("only reviewers assign cases")
    if assignee is not None and not access.is_reviewer(assignee):
        raise ValidationError("assignee must be a reviewer")
    Complaint.objects.filter(pk=complaint.pk).update(
        assignee=assignee, updated_at=timezone.now()
    )
    complaint.assignee = assignee
    return complaint


# --- Letters ----------------------------------------------------------------

LETTER_LANGUAGES = ("zh-hans", "en")


class LetterNotReady(Exception):
    """No letter can be produced for this channel now; `problems` says why."""

    def __init__(self, message, problems=()):
        super().__init__(str(message))
        self.message = message
        self.problems = list(problems)


def _letter_plan_entry(complaint: Complaint, channel):
    from . import channels

    for entry in channels.channel_plan(complaint):
        if entry.channel.pk == channel.pk:
            return entry
    return None


def _check_letter(complaint: Complaint, channel, language: str):
    from django.utils.translation import gettext as _

    if language not in LETTER_LANGUAGES:
        raise LetterNotReady(_("There is no letter in that language."))
    from .channels import template_exists

    entry = _letter_plan_entry(complaint, channel)
    if entry is None or not template_exists(channel.letter_template):
        raise LetterNotReady(_("There is no letter for this channel."))
    if not entry.usable:
        raise LetterNotReady(
            _("This channel is not available for your case."), entry.reasons
        )
    if entry.missing:
        raise LetterNotReady(
            _("The letter still lacks some facts."),
            [p.message for p in entry.missing],
        )
    return entry


def letter_draft_pdf(*, actor, complaint: Complaint, channel, language: str) -> bytes:
    """A PDF watermarked 草稿 (draft) for a case not yet submitted; nothing is
    stored."""
    from django.utils import translation

    from .letters import context as letter_context
    from .letters import render

    if complaint.owner_id != actor.pk:
        raise PermissionDenied("not the owner")
    loaded = letter_context.load_complaint(complaint.pk)
    _check_letter(loaded, channel, language)
    with translation.override(language):
        data = letter_context.build_context(loaded, channel, draft=True)
    return render.render_pdf(channel.letter_template, data, language=language)


def may_issue_letters(actor, complaint: Complaint) -> bool:
    """Final letters: for the owner or a reviewer, once the case is submitted."""
    from .models import Status

    if complaint.status == Status.DRAFT:
        return False
    if complaint.owner_id == actor.pk:
        return True
    return access.is_reviewer(actor) and actor.has_perm("complaints.add_letter")


def letter_issue(*, actor, complaint: Complaint, channel, language: str):
    """The current final letter for a channel and language: the stored
    version when the facts have not changed since, else a new version.

    Returns (letter, created). Raises PermissionDenied for a case that is
    still a draft or an actor who may not, LetterNotReady when the channel
    is excluded or facts are missing.
    """
    import hashlib

    from django.core.files.base import ContentFile
    from django.utils import translation

    from .letters import context as letter_context
    from .letters import render
    from .models import Letter, letter_storage

    storage = letter_storage()
    saved = None
    try:
        with transaction.atomic():
            # One letter at a time per case: concurrent requests queue here
            # and the second finds the first one's version.
            locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
            if not may_issue_letters(actor, locked):
                raise PermissionDenied("letters cannot be issued now")
            loaded = letter_context.load_complaint(locked.pk)
            _check_letter(loaded, channel, language)
            with translation.override(language):
                data = letter_context.build_context(loaded, channel, draft=False)
            latest = (
                Letter.objects.filter(
                    complaint=locked, channel=channel, language=language
                )
                .order_by("-version")
                .first()
            )
            if latest is not None and latest.fingerprint == data["fingerprint"]:
                return latest, False
            pdf = render.render_pdf(channel.letter_template, data, language=language)
            saved = storage.save(f"{uuid.uuid4().hex}.pdf", ContentFile(pdf))
            letter = Letter.objects.create(
                complaint=locked,
                channel=channel,
                language=language,
                version=(latest.version + 1) if latest else 1,
                file=saved,
                size=len(pdf),
                sha256=hashlib.sha256(pdf).hexdigest(),
                fingerprint=data["fingerprint"],
                created_by=actor,
            )
    except BaseException:
        # Nothing was recorded: the file must not stay behind.
        if saved:
            storage.delete(saved)
        raise
    return letter, True


def letter_bytes(letter) -> bytes:
    """The stored PDF of a letter version, byte for byte."""
    with letter.file.open("rb") as handle:
        return handle.read()


# --- Filings ----------------------------------------------------------------

# A filing can be recorded once the case is submitted and until it is closed.
FILING_STATUSES = frozenset(
    {"submitted", "in_review", "needs_info", "accepted", "filed", "resolved"}
)


# What a filing form passes to `filing_record` and `filing_reply`.
FILING_FIELDS = ("channel", "sent_on", "method", "reference", "proof", "letter", "note")
REPLY_FIELDS = ("accepted_on", "reply_on", "reply_summary", "outcome")


def may_record_filings(actor, complaint: Complaint) -> bool:
    if complaint.status not in FILING_STATUSES:
        return False
    if complaint.owner_id == actor.pk:
        return True
    return access.is_reviewer(actor) and actor.has_perm("complaints.add_filing")


def apply_clock(filing) -> None:
    """Store the filing's due dates from its channel's clock (not saved)."""
    from . import clocks
    from .models import Filing

    answered = filing.outcome in Filing.FINAL_OUTCOMES
    clock = clocks.filing_clock(
        filing.channel.clock_rules,
        filing.sent_on,
        accepted_on=filing.accepted_on,
        answered=answered,
        in_progress=filing.outcome == Filing.Outcome.ACCEPTED,
    )
    filing.first_due_on = clock.first_due_on
    filing.due_on = clock.current.due if clock.current else None
    filing.due_stage = clock.current.stage if clock.current else ""
    filing.due_approximate = clock.approximate


def _check_filing_links(filing, complaint: Complaint) -> None:
    from django.utils.translation import gettext as _

    errors = {}
    if filing.proof_id and filing.proof.complaint_id != complaint.pk:
        errors["proof"] = _("Choose an evidence file of this case.")
    if filing.letter_id and (
        filing.letter.complaint_id != complaint.pk
        or filing.letter.channel_id != filing.channel_id
    ):
        errors["letter"] = _("Choose a letter of this case to the same body.")
    if not filing.channel.is_active:
        errors["channel"] = _("This body is no longer offered.")
    if errors:
        raise ValidationError(errors)


def filing_record(
    *,
    actor,
    complaint: Complaint,
    channel,
    sent_on,
    method: str,
    reference: str = "",
    proof=None,
    letter=None,
    note: str = "",
):
    """Record that a letter was sent to a body; the case's first filing
    moves an accepted case to filed through the workflow."""
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from . import workflow
    from .models import Filing, Status

    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if not may_record_filings(actor, locked):
            raise PermissionDenied("filings cannot be recorded now")
        filing = Filing(
            complaint=locked,
            channel=channel,
            sent_on=sent_on,
            method=method,
            reference=(reference or "").strip(),
            proof=proof,
            letter=letter,
            note=(note or "").strip(),
            recorded_by=actor,
        )
        filing.full_clean(exclude=["complaint", "recorded_by"])
        _check_filing_links(filing, locked)
        apply_clock(filing)
        filing.save()
        if locked.status == Status.ACCEPTED:
            workflow.transition(
                locked,
                target=Status.FILED,
                actor=actor,
                expected_status=Status.ACCEPTED,
                note=_("Sent to %(body)s on %(date)s (%(method)s).")
                % {
                    "body": channel.display_name,
                    "date": date_format(sent_on),
                    "method": filing.get_method_display(),
                },
            )
        Complaint.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return filing


def filing_reply(
    *,
    actor,
    filing,
    accepted_on=None,
    reply_on=None,
    reply_summary: str = "",
    outcome: str = "",
):
    """Record what the body did: accepted it (and when), replied (when,
    what, with which outcome). The due dates follow."""
    from django.utils.translation import gettext as _

    from .models import Filing

    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=filing.complaint_id)
        if not may_record_filings(actor, locked):
            raise PermissionDenied("filings cannot be changed now")
        item = Filing.objects.select_related("channel").get(pk=filing.pk)
        item.accepted_on = accepted_on
        item.reply_on = reply_on
        item.reply_summary = (reply_summary or "").strip()
        item.outcome = outcome or ""
        errors = {}
        for field in ("accepted_on", "reply_on"):
            day = getattr(item, field)
            if day and day < item.sent_on:
                errors[field] = _("This cannot be before the day it was sent.")
        if item.outcome and item.outcome != Filing.Outcome.ACCEPTED and not reply_on:
            errors["reply_on"] = _("Enter the date of the reply.")
        if item.outcome == Filing.Outcome.ACCEPTED and not (accepted_on or reply_on):
            errors["accepted_on"] = _("Enter the date it was accepted.")
        if errors:
            raise ValidationError(errors)
        item.full_clean(exclude=["complaint", "recorded_by"])
        apply_clock(item)
        item.save()
        Complaint.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return item


def filing_refresh_due(filing) -> bool:
    """Recompute a filing's stored due dates (after a holiday-data upgrade,
    or a channel's clock edited in admin). True when they changed."""
    before = (
        filing.first_due_on,
        filing.due_on,
        filing.due_stage,
        filing.due_approximate,
    )
    apply_clock(filing)
    after = (
        filing.first_due_on,
        filing.due_on,
        filing.due_stage,
        filing.due_approximate,
    )
    if before == after:
        return False
    type(filing).objects.filter(pk=filing.pk).update(
        first_due_on=filing.first_due_on,
        due_on=filing.due_on,
        due_stage=filing.due_stage,
        due_approximate=filing.due_approximate,
    )
    return True
