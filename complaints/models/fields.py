"""Field helpers shared by the models: money is an exact decimal in CNY."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

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
