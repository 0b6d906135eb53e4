"""Writes to filings: recording that a letter was sent, the body's answer,
and the stored due dates that follow from the channel's clock.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import access
from ..access import Action
from ..models import Complaint

# What a filing form passes to `filing_record` and `filing_reply`.
FILING_FIELDS = ("channel", "sent_on", "method", "reference", "proof", "letter", "note")
REPLY_FIELDS = ("accepted_on", "reply_on", "reply_summary", "outcome")


def apply_clock(filing) -> None:
    """Store the filing's due dates from its channel's clock (not saved)."""
    from .. import clocks

    clock = clocks.clock_for(filing)
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

    from .. import workflow
    from ..models import Filing, Status

    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if not access.may(actor, Action.RECORD_FILING, locked):
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

    from ..models import Filing

    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=filing.complaint_id)
        if not access.may(actor, Action.RECORD_FILING, locked):
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
