from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .identifiers import parse_identifier
from .models import User


class SignUpForm(forms.Form):
    identifier = forms.CharField(
        label=_("Mobile number or email"),
        max_length=254,
        help_text=_("A mainland China mobile number, or an email address."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    recovery_email = forms.EmailField(
        label=_("Email for password recovery (optional)"),
        required=False,
        max_length=254,
        help_text=_(
            "If you sign up with a mobile number, an email address lets you reset "
            "a forgotten password."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        # Lazy, so that the rules are listed in the language of the request.
        help_text=lazy(password_validation.password_validators_help_text_html, str)(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_identifier(self):
        ident = parse_identifier(self.cleaned_data["identifier"])
        taken = User.objects.filter(
            Q(username=ident.value)
            | Q(phone=ident.value)
            | Q(email__iexact=ident.value)
        ).exists()
        if taken:
            raise ValidationError(
                _("This mobile number or email is already registered. Log in instead."),
                code="taken",
            )
        return ident

    def clean_recovery_email(self):
        email = (self.cleaned_data.get("recovery_email") or "").strip().lower()
        if email and User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                _("This email address is already registered."), code="taken"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        ident = cleaned.get("identifier")
        if p1 and ident:
            user = self._build_user(ident, cleaned.get("recovery_email", ""))
            try:
                password_validation.validate_password(p1, user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    @staticmethod
    def _build_user(ident, recovery_email: str) -> User:
        user = User(username=ident.value)
        if ident.kind == "phone":
            user.phone = ident.value
            user.email = recovery_email
        else:
            user.email = ident.value
        return user

    def save(self) -> User:
        user = self._build_user(
            self.cleaned_data["identifier"], self.cleaned_data.get("recovery_email", "")
        )
        user.set_password(self.cleaned_data["password1"])
        user.full_clean(exclude=["password"])
        user.save()
        return user


class LoginForm(AuthenticationForm):
    """Django's login form, with the name field labelled for phone or email."""

    username = forms.CharField(
        label=_("Mobile number or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        "invalid_login": _(
            "The mobile number, email or password is not correct. Passwords are "
            "case-sensitive."
        ),
        "inactive": _("This account is inactive."),
    }


class ResetForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
