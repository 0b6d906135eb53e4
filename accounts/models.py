"""The user account: identified by a mainland mobile number or an email."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who files cases, or a reviewer (staff).

    `username` holds the normalised identifier the user signed up with (the
    11-digit mobile number or the lower-cased email address); staff accounts
    created with `createsuperuser` may use any name.
    """

    phone = models.CharField(
        _("mobile number"), max_length=11, unique=True, null=True, blank=True
    )

    language = models.CharField(
        _("language"),
        max_length=10,
        default="zh-hans",
        help_text=_("Language of the emails this user receives."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_unique_ci",
                violation_error_message=_("This email address is already registered."),
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """What the user is called on pages: masked phone, or email."""
        if self.phone:
            return f"{self.phone[:3]}****{self.phone[-4:]}"
        return self.email or self.username
