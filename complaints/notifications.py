"""Emails about cases, sent after the change that causes them has committed.

They carry no personal data beyond the case number, the new status and a
link: whoever reads the mailbox learns nothing else about the case. Each is
written in the recipient's language (User.language).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import Message, StatusChange

logger = logging.getLogger("casetracker.notifications")


def _absolute(path: str) -> str:
    return settings.CASETRACKER_SITE_URL.rstrip("/") + path


def can_email(recipient) -> bool:
    return bool(recipient is not None and recipient.email and recipient.is_active)


def _send(recipient, template: str, context: dict) -> bool:
    """Send one email; True when it went out (a failure is logged)."""
    if not can_email(recipient):
        return False
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        body = render_to_string(f"emails/{template}.txt", context)
    try:
        send_mail(
            " ".join(subject.split()),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [recipient.email],
        )
    except Exception:  # a mail outage must not break the request that caused it
        logger.exception("notification email failed: template=%s", template)
        return False
    return True


def _owner_link(complaint) -> str:
    return _absolute(complaint.get_absolute_url())


def _reviewer_link(complaint) -> str:
    return _absolute(reverse("admin:complaints_complaint_change", args=[complaint.pk]))


def status_changed(change_id: int) -> None:
    """Tell the owner about a status change they can see; tell the assignee
    when the owner resubmits or withdraws."""
    change = (
        StatusChange.objects.select_related("complaint__owner", "complaint__assignee")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return
    complaint = change.complaint
    context = {"number": complaint.number, "status": change.to_status}
    if change.actor_id != complaint.owner_id and change.visible_to_user:
        _send(
            complaint.owner,
            "status_changed",
            {**context, "link": _owner_link(complaint), "status_obj": change},
        )
    if change.actor_id == complaint.owner_id and complaint.assignee_id:
        _send(
            complaint.assignee,
            "owner_acted",
            {**context, "link": _reviewer_link(complaint), "status_obj": change},
        )


def message_posted(message_id: int) -> None:
    """A reviewer's message goes to the owner; the owner's to the assignee.
    Internal notes are never emailed."""
    message = (
        Message.objects.select_related("complaint__owner", "complaint__assignee")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.internal:
        return
    complaint = message.complaint
    context = {"number": complaint.number}
    if message.author_id == complaint.owner_id:
        if complaint.assignee_id:
            _send(
                complaint.assignee,
                "message_for_reviewer",
                {**context, "link": _reviewer_link(complaint)},
            )
    else:
        _send(
            complaint.owner,
            "message_for_owner",
            {**context, "link": _owner_link(complaint)},
        )


def deadline_reminder(recipient, complaint, kind: str, *, body: str, due_on) -> bool:
    """A deadline reminder (answer due soon, overdue, limitation ending):
    the case number, the body's name and the date, and a link."""
    is_owner = recipient.pk == complaint.owner_id
    return _send(
        recipient,
        f"deadline_{kind}",
        {
            "number": complaint.number,
            "body": body,
            "due_on": due_on,
            "link": _owner_link(complaint) + "#filings"
            if is_owner
            else _reviewer_link(complaint),
            "for_owner": is_owner,
        },
    )
