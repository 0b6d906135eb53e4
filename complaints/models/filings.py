"""Filings (a letter sent to a body, with its deadlines and the answer) and
the deadline reminders sent about them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..validators import (
    validate_not_future,
)
from .cases import Complaint
from .evidence import Evidence
from .letters import Letter
from .reference import Channel


class Filing(models.Model):
    """A letter sent to a body: where, when, how, its reference number and
    proof of delivery; later the body's reply. The due dates come from the
    channel's clock (`complaints.clocks`) and are stored, so lists and the
    admin can filter on them; `services.filing_refresh_due` recomputes them.
    """

    class Method(models.TextChoices):
        ONLINE = "online", _("Online form or app")
        POST = "post", _("Post (registered mail or express)")
        EMAIL = "email", _("Email")
        HOTLINE = "hotline", _("Hotline (phone)")
        IN_PERSON = "in_person", _("In person")

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted, being handled")
        RESOLVED = "resolved", _("Resolved as asked")
        PARTIAL = "partial", _("Partly resolved")
        NO_RELIEF = "no_relief", _("Answered, nothing granted")
        REFUSED = "refused", _("Refused or not accepted")
        TRANSFERRED = "transferred", _("Passed on to another body")

    # Written methods make a written demand (民法典 art. 195); a phone call
    # leaves no writing.
    WRITTEN_METHODS = frozenset(
        {Method.ONLINE, Method.POST, Method.EMAIL, Method.IN_PERSON}
    )
    # Outcomes after which the body owes nothing more.
    FINAL_OUTCOMES = frozenset(
        {
            Outcome.RESOLVED,
            Outcome.PARTIAL,
            Outcome.NO_RELIEF,
            Outcome.REFUSED,
            Outcome.TRANSFERRED,
        }
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="filings",
    )
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("sent to"),
        on_delete=models.PROTECT,
        related_name="filings",
    )
    letter = models.ForeignKey(
        Letter,
        verbose_name=_("letter sent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="filings",
    )
    sent_on = models.DateField(_("date sent"), validators=[validate_not_future])
    method = models.CharField(_("how it was sent"), max_length=20, choices=Method)
    reference = models.CharField(
        _("reference number"),
        max_length=100,
        blank=True,
        help_text=_("受理编号, 工单号 or the postal tracking number, if you have one."),
    )
    proof = models.ForeignKey(
        Evidence,
        verbose_name=_("proof of delivery"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "An evidence file: a screenshot of the submission, a postal receipt."
        ),
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    accepted_on = models.DateField(
        _("date it was accepted"),
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text=_("If the body told you it accepted the complaint: that day."),
    )
    reply_on = models.DateField(
        _("date of the reply"), null=True, blank=True, validators=[validate_not_future]
    )
    reply_summary = models.TextField(
        _("what they answered"), max_length=3000, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome, blank=True)
    # Stored from the clock (see the class docstring).
    first_due_on = models.DateField(
        _("answer due"), null=True, blank=True, editable=False
    )
    due_on = models.DateField(_("due now"), null=True, blank=True, editable=False)
    due_stage = models.CharField(max_length=60, blank=True, editable=False)
    due_approximate = models.BooleanField(default=False, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    class Meta:
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        ordering = ["sent_on", "pk"]
        indexes = [
            models.Index(fields=["due_on"], name="filing_due"),
            models.Index(fields=["complaint", "sent_on"], name="filing_case_sent"),
        ]

    def __str__(self):
        # Admin pages load the case and channel with the filing.
        return f"{self.complaint.number} → {self.channel.code} {self.sent_on}"

    @property
    def answered_on(self):
        """The first sign of life from the body: acceptance or reply."""
        days = [d for d in (self.accepted_on, self.reply_on) if d]
        return min(days) if days else None

    @property
    def is_answered(self) -> bool:
        """The body gave its final answer: nothing more is due."""
        return self.outcome in self.FINAL_OUTCOMES

    @property
    def in_progress(self) -> bool:
        """The body accepted it and is handling it."""
        return self.outcome == self.Outcome.ACCEPTED

    @property
    def is_written_demand(self) -> bool:
        return self.method in self.WRITTEN_METHODS


class Reminder(models.Model):
    """One deadline email sent to one person, so that it is sent only once."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Answer due soon")
        OVERDUE = "overdue", _("Answer overdue")
        LIMITATION = "limitation", _("Limitation period ends soon")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    filing = models.ForeignKey(
        Filing,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    kind = models.CharField(max_length=20, choices=Kind)
    # The deadline it was about: a moved deadline gets its own reminder.
    due_on = models.DateField()
    # What makes it unique for a recipient: kind, filing and deadline.
    key = models.CharField(max_length=100)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "recipient", "key"], name="reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.complaint_id} {self.key} → {self.recipient_id}"
