"""Complaint intake forms. They validate; services save."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.identifiers import normalize_phone

from .models import (
    MAX_AMOUNT,
    MIN_AMOUNT,
    Channel,
    ComplainantType,
    Complaint,
    Evidence,
    Filing,
    Letter,
    LossItem,
)
from .validators import (
    compact_code,
    nfkc,
    validate_credit_code,
    validate_not_future,
    validate_resident_id,
)

_AMOUNT_NOISE_RE = re.compile(r"[\s,，¥￥元]|RMB|CNY", re.IGNORECASE)
_AMOUNT_RE = re.compile(r"^\d+(\.\d+)?$")


class AmountField(forms.Field):
    """An amount in CNY as people type it on a phone.

    Accepts full-width digits, thousands separators, a ¥ sign or 元; refuses
    anything that is not a plain positive number with at most two decimals,
    up to 99,999,999.99. Cleans to a Decimal.
    """

    default_error_messages = {
        "invalid": _("Enter an amount in yuan, for example 1280.50."),
        "min_value": _("The amount must be more than zero."),
        "max_value": _("The amount cannot exceed 99,999,999.99 yuan."),
        "max_decimal_places": _("Use at most two decimal places (fen)."),
    }
    widget = forms.TextInput
    max_input_length = 40

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "inputmode": "decimal",
                "autocomplete": "off",
                "maxlength": self.max_input_length,
            }
        )

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return value

    def to_python(self, value):
        text = nfkc(str(value) if value is not None else "")
        if text in self.empty_values:
            return None
        if len(text) > self.max_input_length:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        text = _AMOUNT_NOISE_RE.sub("", text)
        if text.startswith("-"):
            raise ValidationError(self.error_messages["min_value"], code="min_value")
        if not _AMOUNT_RE.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None
        if amount.as_tuple().exponent < -2 and amount != amount.quantize(
            Decimal("0.01")
        ):
            raise ValidationError(
                self.error_messages["max_decimal_places"], code="max_decimal_places"
            )
        amount = amount.quantize(Decimal("0.01"))
        if amount < MIN_AMOUNT:
            raise ValidationError(self.error_messages["min_value"], code="min_value")
        if amount > MAX_AMOUNT:
            raise ValidationError(self.error_messages["max_value"], code="max_value")
        return amount


class CodeField(forms.CharField):
    """An identifier as typed on a phone: full-width folded, spaces removed and
    upper-cased before the length and format checks run."""

    def __init__(self, *, max_length=None, **kwargs):
        super().__init__(max_length=max_length, **kwargs)
        if max_length:
            # Room for spaces between groups of digits in the browser; the
            # stored length is checked after they are removed.
            self.widget.attrs["maxlength"] = str(max_length * 2)

    def to_python(self, value):
        return compact_code(super().to_python(value)).upper()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _date_field(model_field_name: str) -> forms.DateField:
    field = Complaint._meta.get_field(model_field_name).formfield(widget=DateInput())
    field.error_messages["invalid"] = _("Enter a valid date, for example 2026-03-15.")
    return field


class ComplaintForm(forms.ModelForm):
    """All the facts of a case. Every field may be left empty in a draft;
    what is typed must be well-formed."""

    claims = forms.MultipleChoiceField(
        label=_("What do you ask for?"),
        choices=Complaint.Claim.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deposit_paid = AmountField(
        label=_("Deposit or activation fee paid (CNY)"), required=False
    )
    consent_processing = forms.BooleanField(
        label=_(
            "I agree that casetracker processes the personal information in this "
            "case to prepare and follow up my complaint, and shares it only with "
            "the bodies I send letters to."
        ),
        required=False,
    )
    consent_sensitive = forms.BooleanField(
        label=_(
            "I separately agree to the processing of my sensitive personal "
            "information (ID number, financial losses and account details), which "
            "the complaint bodies require to identify me and my losses."
        ),
        required=False,
    )

    class Meta:
        model = Complaint
        # An explicit allow-list: status, owner, number and assignee can never
        # be set from a POST.
        fields = [
            "complainant_type",
            "complainant_name",
            "id_number",
            "representative_name",
            "contact_phone",
            "address",
            "province",
            "city",
            "respondent_institution",
            "respondent_name",
            "respondent_address",
            "arbitration_commission",
            "brand",
            "agent_name",
            "agent_phone",
            "terminal_sn",
            "terminal_number",
            "merchant_number",
            "terminal_model",
            "activated_on",
            "deposit_paid",
            "deactivated_on",
            "deactivation_notice",
            "deactivation_notice_detail",
            "last_settlement_on",
            "harm_known_on",
            "narrative",
            "prior_contact",
            "prior_contact_detail",
            "claims",
            "claims_other",
        ]
        field_classes = {
            "id_number": CodeField,
            "terminal_sn": CodeField,
            "terminal_number": CodeField,
            "merchant_number": CodeField,
        }
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 6}),
            "prior_contact_detail": forms.Textarea(attrs={"rows": 3}),
            "claims_other": forms.Textarea(attrs={"rows": 2}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "agent_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "merchant_number": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in (
            "activated_on",
            "deactivated_on",
            "last_settlement_on",
            "harm_known_on",
        ):
            label = self.fields[name].label
            help_text = self.fields[name].help_text
            self.fields[name] = _date_field(name)
            self.fields[name].label = label
            self.fields[name].help_text = help_text
        for name in (
            "complainant_type",
            "province",
            "deactivation_notice",
            "prior_contact",
        ):
            field = self.fields[name]
            # Replace Django's "---------" with a prompt people understand.
            field.choices = [("", _("— choose —")), *[c for c in field.choices if c[0]]]
        self.fields["respondent_institution"].empty_label = _("— not in the list —")
        self.fields["brand"].empty_label = _("— not in the list / unknown —")
        for name, field in self.fields.items():
            # Text bounds are enforced on the server; the attribute helps phones.
            model_field = (
                Complaint._meta.get_field(name) if name in self.Meta.fields else None
            )
            if model_field is not None and getattr(model_field, "max_length", None):
                field.widget.attrs.setdefault("maxlength", model_field.max_length)
        if self.instance.pk:
            self.initial.setdefault(
                "consent_processing", self.instance.consent_processing_at is not None
            )
            self.initial.setdefault(
                "consent_sensitive", self.instance.consent_sensitive_at is not None
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    # Normalisation of what people type on phones ---------------------------

    def clean_contact_phone(self):
        return normalize_phone(self.cleaned_data.get("contact_phone", ""))

    def clean_agent_phone(self):
        return normalize_phone(self.cleaned_data.get("agent_phone", ""))

    def clean_claims(self):
        # Keep the order of the choices, whatever order the browser sent.
        chosen = set(self.cleaned_data.get("claims") or [])
        return [value for value, _label in Complaint.Claim.choices if value in chosen]

    def clean(self):
        cleaned = super().clean()
        for name in (
            "complainant_name",
            "representative_name",
            "address",
            "city",
            "respondent_name",
            "respondent_address",
            "arbitration_commission",
            "agent_name",
            "terminal_model",
            "deactivation_notice_detail",
            "narrative",
            "prior_contact_detail",
            "claims_other",
        ):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].strip()
        id_number = cleaned.get("id_number")
        kind = cleaned.get("complainant_type")
        if id_number:
            try:
                if kind in (ComplainantType.SOLE_TRADER, ComplainantType.ENTERPRISE):
                    validate_credit_code(id_number)
                elif kind == ComplainantType.INDIVIDUAL:
                    validate_resident_id(id_number)
                else:
                    # Type not chosen yet: accept either, as long as it checks out.
                    try:
                        validate_resident_id(id_number)
                    except ValidationError:
                        try:
                            validate_credit_code(id_number)
                        except ValidationError:
                            # Neither checks out; name both, since the
                            # complainant type is not chosen yet.
                            raise ValidationError(
                                _(
                                    "This is neither a valid mainland ID number "
                                    "nor a valid unified social credit code."
                                ),
                                code="invalid_id_or_credit_code",
                            ) from None
            except ValidationError as error:
                self.add_error("id_number", error)
        activated = cleaned.get("activated_on")
        deactivated = cleaned.get("deactivated_on")
        if activated and deactivated and deactivated < activated:
            self.add_error(
                "deactivated_on",
                ValidationError(
                    _("The deactivation date cannot be before the activation date."),
                    code="before_activation",
                ),
            )
        settled = cleaned.get("last_settlement_on")
        if settled and activated and settled < activated:
            self.add_error(
                "last_settlement_on",
                ValidationError(
                    _("The last settlement cannot be before the activation date."),
                    code="before_activation",
                ),
            )
        return cleaned


class LossItemForm(forms.ModelForm):
    amount = AmountField(label=_("Amount (CNY)"))

    class Meta:
        model = LossItem
        fields = ["category", "amount", "occurred_on", "description"]
        widgets = {
            "occurred_on": DateInput(),
            "description": forms.TextInput(attrs={"maxlength": 500}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("— choose —")),
            *LossItem.Category.choices,
        ]
        self.fields["occurred_on"].error_messages["invalid"] = _(
            "Enter a valid date, for example 2026-03-15."
        )
        self.fields["occurred_on"].validators = [validate_not_future]
        self.fields["description"].strip = True


MAX_LOSS_ITEMS = 50

LossItemFormSet = forms.inlineformset_factory(
    Complaint,
    LossItem,
    form=LossItemForm,
    extra=1,
    can_delete=True,
    max_num=MAX_LOSS_ITEMS,
    validate_max=True,
    absolute_max=MAX_LOSS_ITEMS + 10,
)


# --- Evidence ----------------------------------------------------------------

ORIGINAL_CHOICES = [
    ("1", _("Original (原件)")),
    ("0", _("Copy (复印件)")),
]


class EvidenceUploadForm(forms.Form):
    """One file with what the user says about it. The file itself is checked
    by `complaints.evidence.inspect_upload` when the service stores it."""

    file = forms.FileField(
        label=_("File"),
        required=False,
        allow_empty_file=True,
        error_messages={"invalid": _("No file was received; choose it again.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Evidence.Kind.choices, required=False
    )
    purpose = forms.CharField(
        label=_("What it proves"),
        max_length=300,
        required=False,
        help_text=_("For example: the terminal stopped working on 15 August."),
    )
    is_original = forms.TypedChoiceField(
        label=_("Original or copy"),
        choices=ORIGINAL_CHOICES,
        coerce=lambda v: v == "1",
        initial="1",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .evidence import ACCEPT_ATTRIBUTE

        self.fields["kind"].choices = [("", _("— choose —")), *Evidence.Kind.choices]
        self.fields["file"].widget.attrs["accept"] = ACCEPT_ATTRIBUTE
        self.fields["purpose"].widget.attrs["maxlength"] = 300

    def clean(self):
        cleaned = super().clean()
        has_file = bool(cleaned.get("file"))
        purpose = (cleaned.get("purpose") or "").strip()
        # A row counts when anything was typed or chosen in it; the
        # original/copy select always has a value, so it does not count.
        if has_file or cleaned.get("kind") or purpose:
            if not has_file and "file" not in self.errors:
                self.add_error("file", _("Choose a file."))
            if not cleaned.get("kind"):
                self.add_error("kind", _("Choose what kind of evidence this is."))
            if not (cleaned.get("purpose") or "").strip():
                self.add_error("purpose", _("Say what this file proves."))
        cleaned["purpose"] = (cleaned.get("purpose") or "").strip()
        return cleaned


EVIDENCE_UPLOAD_ROWS = 3

EvidenceUploadFormSet = forms.formset_factory(
    EvidenceUploadForm,
    extra=EVIDENCE_UPLOAD_ROWS,
    max_num=EVIDENCE_UPLOAD_ROWS,
    absolute_max=EVIDENCE_UPLOAD_ROWS,
)


class EvidenceEditForm(forms.ModelForm):
    is_original = forms.TypedChoiceField(
        label=_("Original or copy"),
        choices=ORIGINAL_CHOICES,
        coerce=lambda v: v == "1",
    )

    class Meta:
        model = Evidence
        fields = ["kind", "purpose", "is_original", "loss_items"]
        widgets = {"loss_items": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loss_items"].queryset = self.instance.complaint.loss_items.all()
        self.fields["loss_items"].label_from_instance = lambda item: (
            f"{item.get_category_display()} ¥{item.amount:,.2f}"
            + (f" · {item.description}" if item.description else "")
        )
        self.initial["is_original"] = "1" if self.instance.is_original else "0"
        self.fields["purpose"].strip = True


# --- Workflow and messages -----------------------------------------------------


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message to the reviewers"),
        max_length=5000,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": 5000, "class": "form-control"}
        ),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw the case? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
        help_text=_("For example: the institution paid back what it owed."),
    )


# --- Filings -------------------------------------------------------------------


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError next to the fields it names (on the form
    itself when the form has no such field)."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


class FilingForm(forms.ModelForm):
    """Where and how a letter was sent. Links (the letter, the proof of
    delivery) are limited to this case's own letters and evidence."""

    class Meta:
        model = Filing
        fields = [
            "channel",
            "sent_on",
            "method",
            "reference",
            "letter",
            "proof",
            "note",
        ]
        widgets = {
            "sent_on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        self.fields["channel"].queryset = Channel.objects.filter(is_active=True)
        self.fields["channel"].label_from_instance = lambda c: c.display_name
        self.fields["channel"].empty_label = _("— choose —")
        self.fields["sent_on"].error_messages["invalid"] = _(
            "Enter a valid date, for example 2026-03-15."
        )
        self.fields["method"].choices = [
            ("", _("— choose —")),
            *[c for c in self.fields["method"].choices if c[0]],
        ]
        self.fields["letter"].queryset = Letter.objects.filter(
            complaint=complaint
        ).select_related("channel")
        self.fields["letter"].label_from_instance = lambda letter: (
            _("%(channel)s, version %(version)d (%(language)s)")
            % {
                "channel": letter.channel.display_name,
                "version": letter.version,
                "language": letter.language,
            }
        )
        self.fields["letter"].empty_label = _("— none / not listed —")
        self.fields["proof"].queryset = Evidence.objects.filter(complaint=complaint)
        self.fields["proof"].label_from_instance = lambda e: (
            f"{e.original_name} · {e.get_kind_display()}"
        )
        self.fields["proof"].empty_label = _("— none yet —")
        self.fields["reference"].widget.attrs["maxlength"] = 100

    def clean(self):
        cleaned = super().clean()
        letter = cleaned.get("letter")
        channel = cleaned.get("channel")
        if letter and channel and letter.channel_id != channel.pk:
            self.add_error("letter", _("This letter is addressed to another body."))
        return cleaned


class FilingReplyForm(forms.ModelForm):
    """What the body did with a filing."""

    class Meta:
        model = Filing
        fields = ["accepted_on", "reply_on", "outcome", "reply_summary"]
        widgets = {
            "accepted_on": DateInput(),
            "reply_on": DateInput(),
            "reply_summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("accepted_on", "reply_on"):
            self.fields[name].error_messages["invalid"] = _(
                "Enter a valid date, for example 2026-03-15."
            )
        self.fields["outcome"].choices = [
            ("", _("— no answer yet —")),
            *[c for c in self.fields["outcome"].choices if c[0]],
        ]

    def clean(self):
        cleaned = super().clean()
        sent_on = self.instance.sent_on
        for name in ("accepted_on", "reply_on"):
            day = cleaned.get(name)
            if day and sent_on and day < sent_on:
                self.add_error(name, _("This cannot be before the day it was sent."))
        outcome = cleaned.get("outcome")
        # A date refused above is not also reported as missing.
        dated = cleaned.get("accepted_on") or cleaned.get("reply_on")
        refused = {"accepted_on", "reply_on"} & set(self.errors)
        if (
            outcome
            and outcome != Filing.Outcome.ACCEPTED
            and not cleaned.get("reply_on")
            and "reply_on" not in refused
        ):
            self.add_error("reply_on", _("Enter the date of the reply."))
        if outcome == Filing.Outcome.ACCEPTED and not dated and not refused:
            self.add_error("accepted_on", _("Enter the date it was accepted."))
        return cleaned
