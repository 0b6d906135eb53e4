"""Evidence on S3-compatible object storage (django-storages), against moto's
in-process S3 mock, through the real views and services.

The storage options are not copied here: `s3_storage_options` runs
casetracker/settings.py with EVIDENCE_STORAGE_BACKEND=s3 and the
EVIDENCE_S3_* variables set, and takes STORAGES["evidence"] from it, so the
tests check what a deployment really gets (private ACL, no overwrite, the
prefix). `manage.py check` with those variables runs in a subprocess.
"""

import hashlib
import io
import os
import re
import runpy
import secrets
import subprocess
import sys
from urllib.parse import quote

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto import mock_aws
from PIL import Image
from storages.backends.s3 import S3Storage

from complaints.models import Evidence, evidence_storage

BASE_DIR = django_settings.BASE_DIR
BUCKET = "casetracker-evidence-test"
PREFIX = "evidence"
REGION = "us-east-1"
S3_ENV = {
    "EVIDENCE_STORAGE_BACKEND": "s3",
    "EVIDENCE_S3_BUCKET": BUCKET,
    "EVIDENCE_S3_REGION": REGION,
    "EVIDENCE_S3_ACCESS_KEY_ID": "AKIDTESTINGONLY",
    "EVIDENCE_S3_SECRET_ACCESS_KEY": "testing-secret-not-real",
    "EVIDENCE_S3_PREFIX": PREFIX,
}
# "<prefix>/ab/ab<30 more hex>": random, no trace of the user's file name.
STORED_KEY_RE = re.compile(rf"^{PREFIX}/([0-9a-f]{{2}})/\1[0-9a-f]{{30}}$")
THUMBNAIL_KEY_RE = re.compile(
    rf"^{PREFIX}/thumbnails/([0-9a-f]{{2}})/\1[0-9a-f]{{30}}$"
)
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
ORIGINAL_NAME = "停机通知 截图.png"


def png_bytes(size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (30, 110, 190))
    for x in range(0, size[0], 3):
        image.putpixel((x, (x * 7) % size[1]), (250, 250, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def s3_storage_options(monkeypatch) -> dict:
    """STORAGES["evidence"] as casetracker/settings.py builds it for S3."""
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("EVIDENCE_S3_ENDPOINT_URL", raising=False)
    namespace = runpy.run_path(str(BASE_DIR / "casetracker" / "settings.py"))
    return namespace["STORAGES"]["evidence"]


class S3:
    def __init__(self, client, storage):
        self.client = client
        self.storage = storage

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=BUCKET)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def body(self, key) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


@pytest.fixture
def s3(settings, monkeypatch):
    """Evidence storage switched to S3 (moto), with an empty private bucket."""
    options = s3_storage_options(monkeypatch)
    with mock_aws():
        client = boto3.client(
            "s3",
            region_name=REGION,
            aws_access_key_id=S3_ENV["EVIDENCE_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_ENV["EVIDENCE_S3_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=BUCKET)
        # pytest-django's `settings` sends setting_changed, which empties
        # Django's storages cache: the next lookup builds the S3 backend.
        settings.STORAGES = {**settings.STORAGES, "evidence": options}
        storage = storages["evidence"]
        assert isinstance(storage, S3Storage)
        yield S3(client, storage)
    # Leaving the override resets the cache again (back to the filesystem).


def upload(client, complaint, content=None, name=ORIGINAL_NAME, content_type=None):
    content = png_bytes() if content is None else content
    return client.post(
        reverse("complaints:evidence_upload_one", args=[complaint.public_id]),
        {
            "file": SimpleUploadedFile(
                name, content, content_type=content_type or "image/png"
            ),
            "kind": Evidence.Kind.NOTICE,
            "purpose": "证明终端于8月15日被停用",
            "is_original": "1",
        },
    )


def cache_control(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


def item_url(name, item):
    return reverse(
        f"complaints:{name}", args=[item.complaint.public_id, item.public_id]
    )


# --- Configuration ------------------------------------------------------------


def test_settings_select_a_private_s3_backend(s3):
    storage = storages["evidence"]
    assert storage is s3.storage
    assert storage.bucket_name == BUCKET
    assert storage.location == PREFIX
    assert storage.default_acl == "private"
    assert storage.file_overwrite is False
    assert storage.querystring_auth is True
    assert storage.access_key == S3_ENV["EVIDENCE_S3_ACCESS_KEY_ID"]
    assert storage.region_name == REGION
    assert storage.endpoint_url is None


def test_model_field_and_service_use_the_overridden_backend(s3):
    # The FileField resolves its storage once when models load; the evidence
    # storage it holds must follow settings.STORAGES["evidence"] anyway.
    field_storage = Evidence._meta.get_field("file").storage
    name = field_storage.save("probe/x", io.BytesIO(b"probe"))
    assert s3.keys() == [f"{PREFIX}/{name}"]
    assert evidence_storage().exists(name)
    evidence_storage().delete(name)
    assert s3.keys() == []


# --- Upload, download, preview, delete ------------------------------------------


@pytest.mark.django_db
def test_upload_stores_a_private_byte_identical_object_under_a_random_key(
    s3, owner_client, complaint
):
    content = png_bytes()

    response = upload(owner_client, complaint, content)

    assert response.status_code == 201, response.content
    item = Evidence.objects.get(complaint=complaint)
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.size == len(content)
    assert item.content_type == "image/png"
    assert item.original_name == ORIGINAL_NAME

    key = f"{PREFIX}/{item.file.name}"
    assert STORED_KEY_RE.match(key), key
    assert s3.keys() == [key]
    assert "png" not in key.lower() and "停机" not in key
    assert s3.body(key) == content

    acl = s3.client.get_object_acl(Bucket=BUCKET, Key=key)
    grantees = [grant["Grantee"] for grant in acl["Grants"]]
    assert grantees, acl
    assert all(grantee.get("URI") not in PUBLIC_GRANTEES for grantee in grantees)
    assert all(grantee["Type"] == "CanonicalUser" for grantee in grantees)
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]


@pytest.mark.django_db
def test_two_uploads_get_different_random_keys(s3, owner_client, complaint):
    assert upload(owner_client, complaint, png_bytes((64, 48))).status_code == 201
    assert upload(owner_client, complaint, png_bytes((48, 64))).status_code == 201

    keys = s3.keys()
    assert len(keys) == 2
    assert all(STORED_KEY_RE.match(key) for key in keys)


@pytest.mark.django_db
def test_download_streams_the_stored_bytes_with_private_headers(
    s3, owner_client, complaint
):
    content = png_bytes()
    assert upload(owner_client, complaint, content).status_code == 201
    item = Evidence.objects.get(complaint=complaint)

    response = owner_client.get(item_url("evidence_download", item))

    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)
    assert body == content
    assert hashlib.sha256(body).hexdigest() == item.sha256
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(content))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(ORIGINAL_NAME)}" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= cache_control(response)


@pytest.mark.django_db
def test_another_users_download_is_404_and_reads_nothing(
    s3, owner_client, complaint, client, other_user
):
    assert upload(owner_client, complaint).status_code == 201
    item = Evidence.objects.get(complaint=complaint)
    owner_client.logout()
    client.force_login(other_user)

    assert client.get(item_url("evidence_download", item)).status_code == 404
    assert client.get(item_url("evidence_thumbnail", item)).status_code == 404
    assert len(s3.keys()) == 1  # no thumbnail made for a stranger


@pytest.mark.django_db
def test_thumbnail_is_made_from_the_stored_object_and_kept(s3, owner_client, complaint):
    assert upload(owner_client, complaint, png_bytes((1600, 1200))).status_code == 201
    item = Evidence.objects.get(complaint=complaint)

    response = owner_client.get(item_url("evidence_thumbnail", item))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= cache_control(response)
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.format == "JPEG"
        assert max(image.size) <= 480
        assert image.size == (480, 360)
    item.refresh_from_db()
    thumbnail_key = f"{PREFIX}/{item.thumbnail}"
    assert THUMBNAIL_KEY_RE.match(thumbnail_key), thumbnail_key
    assert s3.keys() == sorted([f"{PREFIX}/{item.file.name}", thumbnail_key])
    acl = s3.client.get_object_acl(Bucket=BUCKET, Key=thumbnail_key)
    assert all(g["Grantee"].get("URI") not in PUBLIC_GRANTEES for g in acl["Grants"])

    # The second preview serves the stored thumbnail; nothing new is written.
    again = owner_client.get(item_url("evidence_thumbnail", item))
    assert again.status_code == 200
    b"".join(again.streaming_content)
    assert len(s3.keys()) == 2


@pytest.mark.django_db
def test_delete_removes_file_and_thumbnail_only_after_commit(
    s3, owner_client, complaint, django_capture_on_commit_callbacks
):
    assert upload(owner_client, complaint).status_code == 201
    other = png_bytes((32, 32))
    assert upload(owner_client, complaint, other, name="receipt.png").status_code == 201
    item = Evidence.objects.get(complaint=complaint, original_name=ORIGINAL_NAME)
    kept = Evidence.objects.get(complaint=complaint, original_name="receipt.png")
    assert owner_client.get(item_url("evidence_thumbnail", item)).status_code == 200
    item.refresh_from_db()
    names = {f"{PREFIX}/{item.file.name}", f"{PREFIX}/{item.thumbnail}"}
    assert names <= set(s3.keys())

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_client.post(item_url("evidence_delete", item))
    assert response.status_code == 302
    assert not Evidence.objects.filter(pk=item.pk).exists()
    # Not committed yet: the objects are still there.
    assert names <= set(s3.keys())
    assert callbacks

    for callback in callbacks:
        callback()

    assert s3.keys() == [f"{PREFIX}/{kept.file.name}"]
    assert s3.body(f"{PREFIX}/{kept.file.name}") == other


@pytest.mark.django_db
def test_delete_through_the_view_with_commit_leaves_no_object(
    s3, owner_client, complaint, django_capture_on_commit_callbacks
):
    assert upload(owner_client, complaint).status_code == 201
    item = Evidence.objects.get(complaint=complaint)
    assert owner_client.get(item_url("evidence_thumbnail", item)).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(item_url("evidence_delete", item))

    assert response.status_code == 302
    assert s3.keys() == []


@pytest.mark.django_db
def test_rolled_back_upload_leaves_no_object(s3, owner_client, complaint, monkeypatch):
    def fail(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Evidence, "save", fail)

    with pytest.raises(RuntimeError, match="database went away"):
        upload(owner_client, complaint)

    assert s3.keys() == []
    assert not Evidence.objects.filter(complaint=complaint).exists()


@pytest.mark.django_db
def test_refused_upload_writes_no_object(s3, owner_client, complaint):
    response = upload(
        owner_client,
        complaint,
        b"<!doctype html><html><script>alert(1)</script></html>",
        name="photo.jpg",
        content_type="image/jpeg",
    )

    assert response.status_code == 400
    assert s3.keys() == []


# --- manage.py check with the S3 variables, in a subprocess -----------------------

needs_no_dotenv = pytest.mark.skipif(
    (BASE_DIR / ".env").exists(),
    reason="a local .env file would override the environment under test",
)


def subprocess_env(tmp_path, **values):
    """A production-like environment without the test run's own settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "EVIDENCE_", "AWS_", "PYTEST_", "AXES_"))
        and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="cases.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'check.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.update(values)
    return env


def manage(args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW_STORAGE = (
    "from django.core.files.storage import storages; s = storages['evidence']; "
    "print(type(s).__module__, type(s).__name__, s.bucket_name, s.location, "
    "s.endpoint_url, s.region_name, s.default_acl, s.file_overwrite)"
)


@needs_no_dotenv
def test_manage_check_passes_with_s3_settings(tmp_path):
    env = subprocess_env(
        tmp_path,
        **{
            **S3_ENV,
            "EVIDENCE_S3_ENDPOINT_URL": "https://cos.ap-shanghai.myqcloud.com",
            "EVIDENCE_S3_REGION": "ap-shanghai",
            "EVIDENCE_S3_PREFIX": "cases/evidence",
        },
    )

    check = manage(["check"], env)
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout

    shown = manage(["shell", "--no-imports", "-c", SHOW_STORAGE], env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "storages.backends.s3",
        "S3Storage",
        BUCKET,
        "cases/evidence",
        "https://cos.ap-shanghai.myqcloud.com",
        "ap-shanghai",
        "private",
        "False",
    ]


@needs_no_dotenv
def test_s3_backend_without_a_bucket_fails_clearly(tmp_path):
    env = subprocess_env(tmp_path, EVIDENCE_STORAGE_BACKEND="s3")

    check = manage(["check"], env)

    assert check.returncode != 0
    assert "ImproperlyConfigured" in check.stderr
    assert "EVIDENCE_S3_BUCKET" in check.stderr


@needs_no_dotenv
def test_unknown_storage_backend_fails_clearly(tmp_path):
    env = subprocess_env(tmp_path, EVIDENCE_STORAGE_BACKEND="gcs")

    check = manage(["check"], env)

    assert check.returncode != 0
    assert "ImproperlyConfigured" in check.stderr
    assert "EVIDENCE_STORAGE_BACKEND must be 'filesystem' or 's3'" in check.stderr
