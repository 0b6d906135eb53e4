"""Reviewer accounts and logged-in clients for admin tests."""

from django.contrib.auth.models import Group, Permission
from django.test import Client

from complaints.permissions import REVIEWER_PERMISSIONS
from tests.factories import UserFactory


def make_reviewer(without=()):
    """Staff in the Reviewers group with the migrations' permissions, minus
    the codenames in `without` (then a group of its own, so that the shared
    group is left alone)."""
    codenames = [c for _app, c in REVIEWER_PERMISSIONS if c not in without]
    name = "Reviewers" if not without else f"Reviewers without {','.join(without)}"
    group, _created = Group.objects.get_or_create(name=name)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="complaints", codename__in=codenames
        )
    )
    user = UserFactory(is_staff=True)
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


def client_for(user, language="en"):
    client = Client()
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client
