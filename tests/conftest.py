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


def ensure_seeded() -> None:
    """Put back what the data migrations create (reference data, the
    Reviewers group) after a transactional test has flushed the database."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from complaints.models import Brand, Channel
    from complaints.permissions import REVIEWER_PERMISSIONS, grant
    from complaints.reference_data import seed

    if not Group.objects.filter(name="Reviewers").exists():
        grant(apps, "Reviewers", REVIEWER_PERMISSIONS)
    if not Channel.objects.exists():
        seed(Channel, Brand)


@pytest.fixture(autouse=True)
def _seeded_data(request):
    """Tests marked django_db find the migrations' data, whatever ran before."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction") or (
        len(marker.args) > 0 and marker.args[0]
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_seeded()


@pytest.fixture(autouse=True)
def _letter_storage(settings, tmp_path):
    """Generated letters go to a per-test folder, never to var/media."""
    config = settings.STORAGES["letters"]
    if config["BACKEND"].endswith("FileSystemStorage"):
        settings.STORAGES = {
            **settings.STORAGES,
            "letters": {
                **config,
                "OPTIONS": {**config["OPTIONS"], "location": tmp_path / "letters"},
            },
        }
    return tmp_path / "letters"
