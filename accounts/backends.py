"""Log in with a mobile number or an email address, whichever was typed."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .identifiers import normalize_login


class PhoneOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        login = normalize_login(username)
        UserModel = get_user_model()
        users = list(
            UserModel._default_manager.filter(
                Q(username=login) | Q(phone=login) | Q(email__iexact=login)
            )[:2]
        )
        if len(users) != 1:
            # Same cost as a real check, so timing does not reveal whether
            # an account exists (Django's ModelBackend does the same).
            UserModel().set_password(password)
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
