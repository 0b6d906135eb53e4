"""A case (Complaint) with its loss items, its append-only status timeline
(StatusChange), its messages and its case-number counter.

`Complaint.status` is written only by `complaints.workflow.transition()`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..regions import Province
from ..validators import (
    validate_merchant_number,
    validate_not_future,
    validate_phone,
    validate_terminal_number,
    validate_terminal_sn,
)
from .fields import money_field
from .reference import Brand, ComplainantType, Institution


class CaseNumberCounter(models.Model):
    """The last case number handed out in a year (one row a year)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")

    def __str__(self):
        return f"{self.year}: {self.last}"


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    NEEDS_INFO = "needs_info", _("Information requested")
    ACCEPTED = "accepted", _("Accepted")
    FILED = "filed", _("Filed")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


class ComplaintQuerySet(models.QuerySet):
    def with_total_claimed(self):
        """Annotate `total_claimed` with one subquery (no join fan-out)."""
        totals = (
            LossItem.objects.filter(complaint=models.OuterRef("pk"))
            .order_by()
            .values("complaint")
            .annotate(total=models.Sum("amount"))
            .values("total")
        )
        return self.annotate(
            total_claimed=Coalesce(
                models.Subquery(
                    totals,
                    output_field=models.DecimalField(max_digits=14, decimal_places=2),
                ),
                models.Value(Decimal("0.00")),
                output_field=models.DecimalField(max_digits=14, decimal_places=2),
            )
        )


class Complaint(models.Model):
    """A case (维权案件) filed by one user about one terminal."""

    class DeactivationNotice(models.TextChoices):
        NONE = "none", _("Not announced: it just stopped working")
        SMS = "sms", _("Text message")
        APP = "app", _("App or WeChat notice")
        PHONE = "phone", _("Phone call")
        AGENT = "agent", _("Told by the agent")
        WEBSITE = "website", _("Announcement on a website")
        OTHER = "other", _("Other")

    class PriorContact(models.TextChoices):
        NO = "no", _("No")
        NO_ANSWER = "no_answer", _("Yes, no answer")
        REFUSED = "refused", _("Yes, they refused or gave no solution")
        PROMISED = "promised", _("Yes, they promised but did not act")
        UNREACHABLE = "unreachable", _("Tried, but could not reach them")

    class Claim(models.TextChoices):
        RELEASE_FUNDS = "release_funds", _("Release frozen or unsettled funds")
        REFUND_DEPOSIT = "refund_deposit", _("Refund the deposit or activation fee")
        REFUND_FEES = "refund_fees", _("Refund fees deducted after deactivation")
        COMPENSATE = "compensate", _("Compensate business losses")
        INTEREST = "interest", _("Pay interest on delayed funds")
        EXPLAIN = "explain", _("Explain the deactivation in writing")
        STOP_FEES = "stop_fees", _("Stop deducting fees")

    class Outcome(models.TextChoices):
        FULL = "full", _("Full relief")
        PARTIAL = "partial", _("Partial relief")
        NONE = "none", _("No relief")

    # Identity and workflow
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        _("case number"), max_length=20, unique=True, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.DRAFT, editable=False
    )
    creation_token = models.UUIDField(null=True, blank=True, editable=False)

    # Complainant
    complainant_type = models.CharField(
        _("complainant type"), max_length=20, choices=ComplainantType, blank=True
    )
    complainant_name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        help_text=_("Your full name, or the registered name of the business."),
    )
    id_number = models.CharField(
        _("ID number or unified social credit code"),
        max_length=18,
        blank=True,
        help_text=_(
            "Individuals: the 18-character resident ID number. Businesses: the "
            "18-character unified social credit code."
        ),
    )
    representative_name = models.CharField(
        _("legal representative"),
        max_length=100,
        blank=True,
        help_text=_("Enterprises only: the legal representative or person in charge."),
    )
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[validate_phone]
    )
    address = models.CharField(_("mailing address"), max_length=200, blank=True)
    province = models.CharField(
        _("province"), max_length=2, choices=Province, blank=True
    )
    city = models.CharField(_("city or county"), max_length=50, blank=True)

    # Respondent
    respondent_institution = models.ForeignKey(
        Institution,
        verbose_name=_("payment institution"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    respondent_name = models.CharField(
        _("institution name as printed"),
        max_length=200,
        blank=True,
        help_text=_(
            "If it is not in the list: the company name printed on your receipt, "
            "contract or in the app."
        ),
    )
    brand = models.ForeignKey(
        Brand,
        verbose_name=_("terminal brand"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    respondent_address = models.CharField(
        _("institution's address"),
        max_length=200,
        blank=True,
        help_text=_(
            "Its registered address, as on the contract or the company register. "
            "Needed for 12315, court and arbitration filings."
        ),
    )
    arbitration_commission = models.CharField(
        _("arbitration commission named in your agreement"),
        max_length=100,
        blank=True,
        help_text=_(
            "Only if your agreement with the institution has an arbitration clause: "
            "the commission it names, e.g. 上海仲裁委员会. Leave empty otherwise."
        ),
    )
    agent_name = models.CharField(
        _("agent or salesperson"),
        max_length=100,
        blank=True,
        help_text=_("Who sold or installed the terminal, if you know."),
    )
    agent_phone = models.CharField(
        _("agent's phone"), max_length=20, blank=True, validators=[validate_phone]
    )

    # Terminal
    terminal_sn = models.CharField(
        _("terminal SN"),
        max_length=40,
        blank=True,
        validators=[validate_terminal_sn],
        help_text=_("Printed on the label on the back of the terminal."),
    )
    terminal_number = models.CharField(
        _("terminal number"),
        max_length=20,
        blank=True,
        validators=[validate_terminal_number],
        help_text=_("终端号, printed on each receipt."),
    )
    merchant_number = models.CharField(
        _("merchant number"),
        max_length=15,
        blank=True,
        validators=[validate_merchant_number],
        help_text=_("商户编号: 15 digits, printed on each receipt."),
    )
    terminal_model = models.CharField(_("terminal model"), max_length=60, blank=True)
    activated_on = models.DateField(
        _("activation date"), null=True, blank=True, validators=[validate_not_future]
    )
    deposit_paid = money_field(
        _("deposit or activation fee paid"), null=True, blank=True
    )

    # What happened
    deactivated_on = models.DateField(
        _("deactivation date"), null=True, blank=True, validators=[validate_not_future]
    )
    deactivation_notice = models.CharField(
        _("how it was announced"), max_length=20, choices=DeactivationNotice, blank=True
    )
    deactivation_notice_detail = models.CharField(
        _("the notice in your words"),
        max_length=500,
        blank=True,
        help_text=_("What the notice said, or how you found out."),
    )
    last_settlement_on = models.DateField(
        _("last successful settlement"),
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text=_("The last day money from the terminal reached your account."),
    )
    harm_known_on = models.DateField(
        _("date you learnt of the harm"),
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text=_("The limitation period of 3 years counts from this day."),
    )
    narrative = models.TextField(
        _("what happened"),
        max_length=5000,
        blank=True,
        help_text=_("In your own words, in order: what happened, when, and to whom."),
    )
    prior_contact = models.CharField(
        _("did you contact customer service?"),
        max_length=20,
        choices=PriorContact,
        blank=True,
    )
    prior_contact_detail = models.TextField(
        _("contact with customer service"),
        max_length=2000,
        blank=True,
        help_text=_(
            "When, how (hotline, app, agent), what they answered, ticket numbers."
        ),
    )

    # Claims
    claims = models.JSONField(_("claims"), default=list, blank=True)
    claims_other = models.TextField(_("other claims"), max_length=1000, blank=True)

    # Consents (PIPL art. 14, 29): timestamps, with the notice version.
    consent_processing_at = models.DateTimeField(
        _("consent to processing given at"), null=True, blank=True, editable=False
    )
    consent_sensitive_at = models.DateTimeField(
        _("consent to sensitive data given at"), null=True, blank=True, editable=False
    )
    consent_policy_version = models.CharField(
        _("privacy notice version"), max_length=20, blank=True, editable=False
    )

    # Handling
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_complaints",
        editable=False,
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome, blank=True, editable=False
    )
    amount_recovered = money_field(
        _("amount recovered"), null=True, blank=True, editable=False
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)
    submitted_at = models.DateTimeField(
        _("submitted"), null=True, blank=True, editable=False
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["owner", "-updated_at"], name="complaint_owner_updated"
            ),
            models.Index(
                fields=["status", "-submitted_at"], name="complaint_status_sub"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "creation_token"],
                name="complaint_unique_creation_token",
            ),
        ]
        permissions = [
            (
                "review_complaint",
                _("Can review cases (assign, request information, decide)"),
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("complaints:detail", args=[self.public_id])

    @property
    def respondent_display(self) -> str:
        if self.respondent_institution_id:
            return self.respondent_institution.name
        return self.respondent_name

    @property
    def claim_labels(self) -> list[str]:
        labels = dict(self.Claim.choices)
        return [labels[c] for c in self.claims if c in labels]


class LossItem(models.Model):
    """One loss with its amount (CNY)."""

    class Category(models.TextChoices):
        FROZEN_FUNDS = "frozen_funds", _("Frozen or unsettled funds")
        DEPOSIT = "deposit", _("Deposit or activation fee")
        FEES = "fees", _("Fees deducted (service, SIM, membership)")
        LOST_PROFIT = "lost_profit", _("Lost business")
        INTEREST = "interest", _("Interest")
        OTHER = "other", _("Other")

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="loss_items"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category)
    amount = money_field(_("amount (CNY)"))
    occurred_on = models.DateField(
        _("date"), null=True, blank=True, validators=[validate_not_future]
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("loss item")
        verbose_name_plural = _("loss items")
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.get_category_display()} {self.amount}"


class StatusChange(models.Model):
    """Append-only timeline row, written only by `workflow.transition()`."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True, max_length=5000)
    visible_to_user = models.BooleanField(_("visible to the user"), default=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.complaint_id}: {self.from_status} → {self.to_status}"


class Message(models.Model):
    """A message on a case: between the user and the reviewers, or an
    internal note that only staff ever see (not in pages, emails or exports).
    """

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    body = models.TextField(_("message"), max_length=5000)
    internal = models.BooleanField(
        _("internal note"),
        default=False,
        help_text=_("Internal notes are seen by reviewers only."),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="message_case_time")
        ]

    def __str__(self):
        return f"{self.complaint_id}: {self.body[:40]}"
