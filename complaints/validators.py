"""Field validators for complaint facts. Messages are in the user's language."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

SN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]{3,39}$")
TERMINAL_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{4,20}$")
MERCHANT_NUMBER_RE = re.compile(r"^\d{15}$")


def nfkc(value: str) -> str:
    """Full-width letters and digits become ASCII; surrounding space goes."""
    return unicodedata.normalize("NFKC", value or "").strip()


def compact_code(value: str) -> str:
    """Identifier as typed on a phone: full-width folded, spaces removed."""
    return re.sub(r"\s+", "", nfkc(value))


def validate_not_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="future")


def validate_terminal_sn(value: str) -> None:
    if value and not SN_RE.match(value):
        raise ValidationError(
            _(
                "The SN is 4 to 40 letters, digits, '-' or '_', as printed on the "
                "back of the terminal."
            ),
            code="invalid_sn",
        )


def validate_terminal_number(value: str) -> None:
    if value and not TERMINAL_NUMBER_RE.match(value):
        raise ValidationError(
            _("The terminal number is 4 to 20 letters or digits."),
            code="invalid_terminal_number",
        )


def validate_merchant_number(value: str) -> None:
    if value and not MERCHANT_NUMBER_RE.match(value):
        raise ValidationError(
            _("The merchant number has exactly 15 digits (see your receipt)."),
            code="invalid_merchant_number",
        )


def validate_resident_id(value: str) -> None:
    """Mainland resident ID number (18 characters, checksum, birth date)."""
    try:
        ric.validate(value)
    except StdnumError:
        raise ValidationError(
            _(
                "This is not a valid mainland ID number: check the 18 characters "
                "(the last may be X)."
            ),
            code="invalid_id_number",
        ) from None


def validate_credit_code(value: str) -> None:
    """统一社会信用代码 (18 characters with a checksum)."""
    try:
        uscc.validate(value)
    except StdnumError:
        raise ValidationError(
            _("This is not a valid unified social credit code (18 characters)."),
            code="invalid_credit_code",
        ) from None


def validate_mobile(value: str) -> None:
    from accounts.identifiers import is_mobile

    if value and not is_mobile(value):
        raise ValidationError(
            _("Enter a mainland China mobile number: 11 digits starting with 13-19."),
            code="invalid_mobile",
        )


def validate_phone(value: str) -> None:
    """A mobile number or a landline (area code and number, optional extension)."""
    if value and not re.match(
        r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{5,12})$", value
    ):
        raise ValidationError(
            _("Enter a phone number: a mobile number or a landline with area code."),
            code="invalid_phone",
        )
