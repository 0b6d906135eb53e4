"""Reference data: respondents (Institution), terminal brands (Brand) and the
bodies a complaint can go to (Channel), with their rules as editable data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..regions import Province


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

        from ..letters import law

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
        from ..clocks import validate_rules

        problems = validate_rules(self.clock_rules)
        if problems:
            errors["clock_rules"] = "; ".join(problems)
        if errors:
            raise ValidationError(errors)
