"""The admin's own forms: a workflow move's note (and outcome and amount),
a reviewer's message, and a new filing.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from ..forms import _AMOUNT_NOISE_RE, AmountField, FilingForm, nfkc
from ..models import Complaint, Status
from .display import int_or_none


class RecoveredAmountField(AmountField):
    """An amount as people type it, where 0 is allowed (no relief)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            text = _AMOUNT_NOISE_RE.sub("", nfkc(str(value or "")))
            if error.code == "min_value" and not text.startswith("-"):
                from decimal import Decimal

                return Decimal("0.00")
            raise


class NoteForm(forms.Form):
    """The note for a workflow move (shown to the user on visible moves)."""

    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "maxlength": 5000}),
    )


class TransitionForm(NoteForm):
    """Exactly the inputs a move needs (`Transition.needs`), and the status
    the reviewer saw, so that a move made by someone else meanwhile is
    refused instead of overwritten."""

    expected_status = forms.ChoiceField(
        choices=Status.choices, widget=forms.HiddenInput
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[("", "---------"), *Complaint.Outcome.choices],
        required=False,
    )
    amount_recovered = RecoveredAmountField(
        label=gettext_lazy("Amount recovered (CNY)"), required=False
    )

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("note", "outcome", "amount_recovered"):
            if name not in needs:
                del self.fields[name]


class ReviewerMessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "maxlength": 5000}),
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note (reviewers only; the user never sees it)"),
        required=False,
    )


class FilingAddForm(FilingForm):
    """The admin's form for a new filing: the case (by id, pre-filled from
    `?complaint=<pk>` on the case page), then what the site's form asks.
    The letter and the proof of delivery are those of that case. Validated
    here, recorded by `services.filing_record`: nobody saves this form."""

    class Meta(FilingForm.Meta):
        fields = ["complaint", *FilingForm.Meta.fields]

    def __init__(self, data=None, *args, **kwargs):
        initial = kwargs.get("initial") or {}
        raw = data.get("complaint") if data is not None else initial.get("complaint")
        super().__init__(data, *args, complaint=int_or_none(raw), **kwargs)


class NoteActionForm(NoteForm):
    """The intermediate page of a bulk move that needs a note."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = True
