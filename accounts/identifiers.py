"""What a user types to sign up or log in: a Chinese mobile number or an email.

One place normalises it, so that sign-up, login, lockout counting and the
admin all agree on who "13800138000", "+86 138-0013-8000" and
"１３８００１３８０００" are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_NOISE_RE = re.compile(r"[\s\-()（）]")


@dataclass(frozen=True)
class Identifier:
    kind: str  # "phone" or "email"
    value: str


def normalize_phone(raw: str) -> str:
    """Return the 11-digit form of a mainland mobile number as typed.

    Full-width digits become ASCII, spaces, dashes and brackets are dropped
    and a +86 / 0086 / 86 country prefix is removed. The result is not
    validated; see `is_mobile`.
    """
    value = unicodedata.normalize("NFKC", raw or "").strip()
    value = _PHONE_NOISE_RE.sub("", value)
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if len(value) == 13 and value.startswith("86"):
        value = value[2:]
    return value


def is_mobile(value: str) -> bool:
    return bool(MOBILE_RE.match(value))


def parse_identifier(raw: str) -> Identifier:
    """Classify and normalise a login identifier, or raise ValidationError."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if "@" in text:
        email = text.lower()
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                _("Enter a valid email address."), code="invalid_email"
            ) from None
        return Identifier("email", email)
    phone = normalize_phone(text)
    if is_mobile(phone):
        return Identifier("phone", phone)
    raise ValidationError(
        _(
            "Enter a mainland China mobile number (11 digits starting with 13-19) "
            "or an email address."
        ),
        code="invalid_identifier",
    )


def normalize_login(raw: str) -> str:
    """Best-effort normal form of a login name, also for unknown input.

    Used for lockout counting, so it must never raise.
    """
    try:
        return parse_identifier(raw).value
    except ValidationError:
        return unicodedata.normalize("NFKC", raw or "").strip().lower()


def axes_username(request, credentials) -> str:
    """django-axes hook: count failed logins per account.

    A phone user's recovery email opens the same account, so both spellings
    share one counter; input matching no single account is counted under its
    normalised form.
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    raw = ""
    if credentials:
        raw = credentials.get("username", "")
    if not raw and request is not None:
        raw = request.POST.get("username", "")
    login = normalize_login(raw)
    names = list(
        get_user_model()
        ._default_manager.filter(
            Q(username=login) | Q(phone=login) | Q(email__iexact=login)
        )
        .values_list("username", flat=True)[:2]
    )
    return names[0] if len(names) == 1 else login
