import pytest
from django.db import connection

from tests.factories import ComplaintFactory, LossItemFactory, UserFactory


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def complaint(user):
    """A ready-to-submit draft owned by `user`, with one loss."""
    complaint = ComplaintFactory(owner=user)
    LossItemFactory(complaint=complaint)
    return complaint


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only tests on SQLite, with the reason shown."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
