"""Writes to evidence: adding an upload (checked by `complaints.evidence`),
changing what the user says about it, deleting it, a reviewer's verdict,
and making its preview.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from .. import access
from ..access import Action
from ..models import Complaint


def _evidence_limits_error(complaint: Complaint, size: int):
    from django.utils.translation import gettext as _

    from ..models import Evidence

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

    from .. import evidence as evidence_files
    from ..models import Evidence, evidence_storage

    inspection = evidence_files.inspect_upload(uploaded_file)
    storage = evidence_storage()
    stored_name = None
    try:
        with transaction.atomic():
            locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
            if not access.may(actor, Action.CHANGE_EVIDENCE, locked):
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
    from ..models import Evidence

    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=evidence.complaint_id)
        if not access.may(actor, Action.CHANGE_EVIDENCE, locked):
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
        if not access.may(actor, Action.CHANGE_EVIDENCE, locked):
            raise PermissionDenied("evidence cannot be changed now")
        evidence.kind = kind
        evidence.purpose = purpose
        evidence.is_original = is_original
        evidence.full_clean(exclude=["file"])
        evidence.save(update_fields=["kind", "purpose", "is_original"])
        evidence.loss_items.set([i for i in loss_items if i.complaint_id == locked.pk])
    return evidence


def evidence_review(*, actor, evidence, verdict: str, note: str):
    """A reviewer's verdict on a file, with a note the user sees."""
    if not access.may(actor, Action.REVIEW_EVIDENCE, evidence.complaint):
        raise PermissionDenied("only reviewers review evidence")
    evidence.verdict = verdict
    evidence.review_note = note
    evidence.reviewed_by = actor
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
    from .. import evidence as evidence_files
    from ..models import Evidence

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
