"""Display helpers: masking personal data and formatting money."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def mask_id(value: str) -> str:
    """4101**********1234: first four and last four characters only."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


@register.filter
def mask_phone(value: str) -> str:
    """138****8000 for mobiles; landlines keep only their last four digits."""
    if not value:
        return ""
    value = str(value)
    if len(value) == 11 and value.isdigit():
        return f"{value[:3]}****{value[-4:]}"
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


@register.filter
def money(value) -> str:
    """12,345.67: thousands separators and two decimals."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


@register.filter
def filetype_label(content_type: str) -> str:
    """A short label for a content type: PDF, MP4, XLSX …"""
    from complaints.evidence import ACCEPTED

    filetype = ACCEPTED.get(content_type)
    return filetype.label if filetype else "FILE"
