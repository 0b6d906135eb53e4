from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import LoginForm, ResetForm, SignUpForm
from .models import User


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("complaints:list")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:
            # Someone registered the same number or email a moment ago.
            form.add_error(
                "identifier",
                _("This mobile number or email is already registered. Log in instead."),
            )
        else:
            login(request, user, backend="accounts.backends.PhoneOrEmailBackend")
            # Emails follow the language the user signed up in.
            User.objects.filter(pk=user.pk).update(
                language=request.LANGUAGE_CODE or settings.LANGUAGE_CODE
            )
            messages.success(request, _("Welcome! Your account has been created."))
            return redirect("complaints:list")
    return render(request, "registration/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The reset proves control of the mailbox, and the lockout page sends
        # users here: lift the login lockout for this account.
        axes_reset(username=form.user.username)
        return response


def set_language(request):
    """Django's language switch, also remembered on the account so that
    emails reach the user in the language they chose."""
    from django.contrib.auth import get_user_model
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
    ):
        get_user_model().objects.filter(pk=request.user.pk).update(language=language)
    return response
