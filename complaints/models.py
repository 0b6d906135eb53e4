"""Domain models: reference data (Institution, Brand, Channel) and a case
(Complaint) with its loss items and its append-only status timeline.

`Complaint.status` is written only by `complaints.workflow.transition()`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .regions import Province
from .validators import (
    validate_merchant_number,
    validate_not_future,
    validate_phone,
    validate_terminal_number,
    validate_terminal_sn,
)

MAX_AMOUNT = Decimal("99999999.99")
MIN_AMOUNT = Decimal("0.01")


def money_field(verbose_name, **kwargs):
    """Money is an exact decimal in CNY with two places, never a float."""
    return models.DecimalField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(MIN_AMOUNT), MaxValueValidator(MAX_AMOUNT)],
        **kwargs,
    )


# --- Reference data -------------------------------------------------------


class Institution(models.Model):
    """A respondent: a payment institution, a bank or an agent."""

    class Kind(models.TextChoices):
        PAYMENT_INSTITUTION = "payment", _("Non-bank payment institution")
        BANK = "bank", _("Bank")
        AGENT = "agent", _("Agent or service provider")

    class LicenceStatus(models.TextChoices):
        VALID = "valid", _("Licence valid")
        REVOKED = "revoked", _("Licence revoked")
        SURRENDERED = "surrendered", _("Licence surrendered")
        UNKNOWN = "unknown", _("Unknown")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind, default=Kind.PAYMENT_INSTITUTION
    )
    licence_number = models.CharField(_("licence number"), max_length=60, blank=True)
    licence_status = models.CharField(
        _("licence status"),
        max_length=20,
        choices=LicenceStatus,
        default=LicenceStatus.UNKNOWN,
    )
    province = models.CharField(
        _("province"), max_length=2, choices=Province, blank=True
    )
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    hotline = models.CharField(_("service hotline"), max_length=40, blank=True)
    verified = models.BooleanField(
        _("facts verified"),
        default=False,
        help_text=_("Tick only when the facts above were checked against a source."),
    )
    source_note = models.TextField(_("source note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Brand(models.Model):
    """A terminal brand such as 喔刷, linked to its institution when known."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="brands",
        help_text=_("Leave empty while it is not confirmed which institution it is."),
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ComplainantType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual consumer")
    SOLE_TRADER = "sole_trader", _("Individual business (个体工商户)")
    ENTERPRISE = "enterprise", _("Enterprise")


class Channel(models.Model):
    """A body a complaint can go to, with its rules as editable data.

    Facts marked unconfirmed come from secondary sources: they stay editable
    and letters never quote them by article number.
    """

    class Kind(models.TextChoices):
        INSTITUTION = "institution", _("The payment institution itself")
        CENTRAL_BANK = "pboc", _("Central bank (PBOC) financial consumer complaint")
        ASSOCIATION = "pcac", _("Payment & Clearing Association report")
        MARKET_REGULATION = "samr", _("Market regulation (12315)")
        FINANCIAL_REGULATOR = "nfra", _("Financial regulator (12378)")
        ARBITRATION = "arbitration", _("Arbitration")
        COURT = "court", _("Court")

    class ClockUnit(models.TextChoices):
        CALENDAR = "calendar", _("calendar days")
        WORKING = "working", _("working days")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    position = models.PositiveSmallIntegerField(_("order in the plan"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    complainant_types = models.JSONField(
        _("who may use it"),
        default=list,
        blank=True,
        help_text=_("Complainant types allowed; empty means anyone."),
    )
    respondent_kinds = models.JSONField(
        _("respondent kinds"),
        default=list,
        blank=True,
        help_text=_("Institution kinds this channel handles; empty means any."),
    )
    caution_complainant_types = models.JSONField(
        _("may use it with a warning"),
        default=list,
        blank=True,
        help_text=_(
            "Complainant types that may use it but may be refused (they are "
            "warned); they must also be allowed above, or that list be empty."
        ),
    )
    alternative_to = models.ForeignKey(
        "self",
        verbose_name=_("offered instead of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alternatives",
        help_text=_(
            "Offered only to complainants who cannot use that channel (a report "
            "to 12315 instead of a complaint, for a business)."
        ),
    )
    eligibility_note = models.TextField(_("who may use it (explained)"), blank=True)
    eligibility_note_en = models.TextField(
        _("who may use it (explained, English)"), blank=True
    )
    required_facts = models.JSONField(
        _("facts a filing must contain"), default=list, blank=True
    )
    required_facts_articles = models.JSONField(
        _("articles that require those facts"),
        default=list,
        blank=True,
        help_text=_(
            'Statute articles, e.g. ["暂行办法-9"] (see complaints/letters/law.py).'
        ),
    )
    letter_articles = models.JSONField(
        _("articles the letter cites"),
        default=list,
        blank=True,
        help_text=_(
            'Statute articles quoted in the letter\'s legal basis, e.g. ["条例-35"]. '
            "Only articles in the reference texts can be cited."
        ),
    )
    clock_rules = models.JSONField(
        _("clock"),
        default=list,
        blank=True,
        help_text=_(
            'Deadline stages, in order, e.g. [{"stage": "accept", "days": 7, '
            '"unit": "working"}].'
        ),
    )
    clock_note = models.TextField(_("clock (explained)"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    basis_confirmed = models.BooleanField(
        _("basis confirmed"),
        default=False,
        help_text=_("Confirmed from the statute texts in reference/law/."),
    )
    source_note = models.TextField(_("source note"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    hotline = models.CharField(_("hotline"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    letter_template = models.CharField(
        _("letter template"),
        max_length=100,
        blank=True,
        help_text=_(
            "Template under templates/letters/, e.g. letters/institution.html."
        ),
    )

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["position", "code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    @property
    def display_eligibility_note(self) -> str:
        if (get_language() or "").startswith("en") and self.eligibility_note_en:
            return self.eligibility_note_en
        return self.eligibility_note

    def clean(self):
        from django.core.exceptions import ValidationError
        from django.template import TemplateDoesNotExist
        from django.template.loader import get_template

        from .letters import law

        errors = {}
        for field in ("required_facts_articles", "letter_articles"):
            bad = []
            for key in getattr(self, field) or []:
                try:
                    law.article(str(key))
                except (KeyError, ValueError):
                    bad.append(str(key))
            if bad:
                errors[field] = _("Not an article of the reference texts: %(keys)s") % {
                    "keys": ", ".join(bad)
                }
        if self.letter_template:
            try:
                get_template(self.letter_template)
            except TemplateDoesNotExist:
                errors["letter_template"] = _("There is no such template.")
        from .clocks import validate_rules

        problems = validate_rules(self.clock_rules)
        if problems:
            errors["clock_rules"] = "; ".join(problems)
        if errors:
            raise ValidationError(errors)


# --- A case ---------------------------------------------------------------


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


class EvidenceStorage(Storage):
    """The private storage for evidence, resolved on every call.

    A FileField evaluates its storage once, when models load; this proxy
    looks up `settings.STORAGES["evidence"]` each time instead, so a settings
    change (another backend, a test's temporary folder) applies everywhere.
    """

    @staticmethod
    def _target() -> Storage:
        return storages["evidence"]

    def open(self, name, mode="rb"):
        return self._target().open(name, mode)

    def save(self, name, content, max_length=None):
        return self._target().save(name, content, max_length=max_length)

    def delete(self, name):
        return self._target().delete(name)

    def exists(self, name):
        return self._target().exists(name)

    def listdir(self, path):
        return self._target().listdir(path)

    def size(self, name):
        return self._target().size(name)

    def path(self, name):
        return self._target().path(name)

    def url(self, name):
        return self._target().url(name)

    def get_modified_time(self, name):
        return self._target().get_modified_time(name)

    def get_accessed_time(self, name):
        return self._target().get_accessed_time(name)

    def get_created_time(self, name):
        return self._target().get_created_time(name)

    def get_available_name(self, name, max_length=None):
        return self._target().get_available_name(name, max_length=max_length)

    def get_valid_name(self, name):
        return self._target().get_valid_name(name)

    def generate_filename(self, filename):
        return self._target().generate_filename(filename)


_evidence_storage = EvidenceStorage()


def evidence_storage() -> Storage:
    """The private storage for evidence files (settings.STORAGES["evidence"])."""
    return _evidence_storage


class Evidence(models.Model):
    """One uploaded evidence file, kept byte for byte as uploaded.

    The file lives in private storage under a random name; `original_name`
    is sanitised metadata only. `sha256` is computed while the upload
    streams, so a regulator can check the copy they receive.
    """

    class Kind(models.TextChoices):
        CONTRACT = "contract", _("Contract or agreement")
        RECEIPT = "receipt", _("Receipt (shows the merchant number)")
        STATEMENT = "statement", _("Bank or app statement")
        SCREENSHOT = "screenshot", _("Screenshot")
        CHAT_LOG = "chat_log", _("Chat log")
        NOTICE = "notice", _("Deactivation notice")
        AUDIO = "audio", _("Call recording or audio")
        VIDEO = "video", _("Video or screen recording")
        OTHER = "other", _("Other")

    class Verdict(models.TextChoices):
        PENDING = "pending", _("Not reviewed yet")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Not accepted")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    purpose = models.CharField(
        _("what it proves"),
        max_length=300,
        help_text=_(
            "证明目的: for example 'the terminal was deactivated on 15 August'."
        ),
    )
    is_original = models.BooleanField(
        _("original"),
        default=True,
        help_text=_("Original file or document (原件), rather than a copy (复印件)."),
    )
    file = models.FileField(
        _("file"), storage=evidence_storage, max_length=200, editable=False
    )
    thumbnail = models.CharField(max_length=200, blank=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=200, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.BigIntegerField(_("size (bytes)"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    loss_items = models.ManyToManyField(
        LossItem,
        verbose_name=_("losses it supports"),
        blank=True,
        related_name="evidence",
    )
    verdict = models.CharField(
        _("review verdict"), max_length=20, choices=Verdict, default=Verdict.PENDING
    )
    review_note = models.TextField(_("note to the user"), max_length=1000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(
        _("reviewed"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "sha256"], name="evidence_unique_file_per_case"
            ),
        ]

    def __str__(self):
        return self.original_name

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


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


class LetterStorage(EvidenceStorage):
    """The private storage for generated letters (settings.STORAGES["letters"])."""

    @staticmethod
    def _target() -> Storage:
        return storages["letters"]


_letter_storage = LetterStorage()


def letter_storage() -> Storage:
    return _letter_storage


class Letter(models.Model):
    """One generated letter, kept byte for byte: what was sent stays
    retrievable. Rows are never changed; when the facts a letter is built
    from change, the next download makes a new version.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="letters",
        editable=False,
    )
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="letters",
        editable=False,
    )
    language = models.CharField(_("language"), max_length=10, editable=False)
    version = models.PositiveIntegerField(_("version"), editable=False)
    file = models.FileField(
        _("PDF"), storage=letter_storage, max_length=200, editable=False
    )
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    fingerprint = models.CharField(
        _("facts fingerprint"),
        max_length=64,
        editable=False,
        help_text=_("SHA-256 of the facts the letter was built from."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("generated by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("generated"), auto_now_add=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "channel", "language", "version"],
                name="letter_unique_version",
            ),
        ]
        indexes = [
            models.Index(
                fields=["complaint", "channel", "language", "-version"],
                name="letter_latest",
            )
        ]

    def __str__(self):
        return f"{self.complaint_id} {self.channel_id} {self.language} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Letters are immutable: make a new version instead.")
        super().save(*args, **kwargs)

    @property
    def file_name(self) -> str:
        return f"{self.complaint.number}-{self.channel.code}-{self.language}-v{self.version}.pdf"


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
