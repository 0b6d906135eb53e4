"""`manage.py evidence_orphans`: orphan evidence files and missing ones, on
the filesystem (a temporary folder) and on S3 (moto), with and without
--delete."""

import hashlib
import io
import os
import random
import re
import uuid
from datetime import timedelta

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.utils import timezone
from freezegun import freeze_time
from moto import mock_aws
from storages.backends.s3 import S3Storage

from complaints.management.commands import evidence_orphans
from complaints.models import Evidence
from tests.test_evidence_storage import BUCKET, REGION, S3_ENV, s3_storage_options

pytestmark = pytest.mark.django_db

OLD = timedelta(hours=2)


def random_name(prefix="") -> str:
    token = uuid.uuid4().hex
    return f"{prefix}{token[:2]}/{token}"


class Backend:
    """The evidence storage under test, with a way to make files look old."""

    def __init__(self, kind):
        self.kind = kind
        self.storage = storages["evidence"]

    def put(self, name, content=b"x", age=timedelta(0)) -> str:
        if self.kind == "s3" and age:
            # moto stamps LastModified with the (frozen) clock.
            with freeze_time(timezone.now() - age):
                return self.storage.save(name, ContentFile(content))
        stored = self.storage.save(name, ContentFile(content))
        if age:
            when = (timezone.now() - age).timestamp()
            os.utime(self.storage.path(stored), (when, when))
        return stored

    def exists(self, name) -> bool:
        return self.storage.exists(name)

    def all_names(self) -> set[str]:
        return set(evidence_orphans.walk(self.storage))


@pytest.fixture(params=["filesystem", "s3"])
def backend(request, settings, tmp_path, monkeypatch):
    if request.param == "filesystem":
        settings.STORAGES = {
            **settings.STORAGES,
            "evidence": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path / "evidence")},
            },
        }
        yield Backend("filesystem")
        return
    options = s3_storage_options(monkeypatch)
    with mock_aws():
        boto3.client(
            "s3",
            region_name=REGION,
            aws_access_key_id=S3_ENV["EVIDENCE_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_ENV["EVIDENCE_S3_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "evidence": options}
        assert isinstance(storages["evidence"], S3Storage)
        yield Backend("s3")


def make_item(backend, complaint, *, thumbnail=False, age=OLD, missing=False):
    """An Evidence row with its file (and thumbnail) in storage, `age` old."""
    content = uuid.uuid4().bytes * 8
    name = random_name() if missing else backend.put(random_name(), content, age)
    thumb = ""
    if thumbnail:
        thumb = backend.put(random_name("thumbnails/"), b"jpeg" + content, age)
    return Evidence.objects.create(
        complaint=complaint,
        kind=Evidence.Kind.RECEIPT,
        purpose="证明商户号",
        original_name="receipt.png",
        content_type="image/png",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        file=name,
        thumbnail=thumb,
    )


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("evidence_orphans", *args, stdout=out)
    return out.getvalue().splitlines()


def summary(lines) -> str:
    assert lines[-1].startswith("summary: "), lines
    return lines[-1]


def orphan_lines(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        if line.startswith("orphan "):
            found[line.split()[1]] = line
    return found


# --- Reporting -------------------------------------------------------------------


def test_reports_orphans_with_size_and_keeps_them_without_delete(backend, complaint):
    item = make_item(backend, complaint, thumbnail=True)
    orphan = backend.put(random_name(), b"o" * 1234, age=OLD)
    orphan_thumb = backend.put(random_name("thumbnails/"), b"t" * 10, age=OLD)

    lines = run()

    found = orphan_lines(lines)
    assert set(found) == {orphan, orphan_thumb}
    assert re.fullmatch(
        rf"orphan {re.escape(orphan)} 1234 bytes modified \S+ "
        r"kept \(run with --delete to remove\)",
        found[orphan],
    ), found[orphan]
    assert f"orphan {orphan_thumb} 10 bytes " in found[orphan_thumb]
    assert not any(line.startswith("missing ") for line in lines)
    assert summary(lines) == (
        "summary: files=4 referenced=2 orphans=2 orphan_bytes=1244 deleted=0 missing=0"
    )
    assert backend.all_names() == {item.file.name, item.thumbnail, orphan, orphan_thumb}


def test_reports_rows_whose_file_or_thumbnail_is_missing(backend, complaint):
    gone = make_item(backend, complaint, missing=True)
    present = make_item(backend, complaint, thumbnail=True)
    backend.storage.delete(present.thumbnail)

    lines = run()

    missing = sorted(line for line in lines if line.startswith("missing "))
    assert missing == sorted(
        [
            f"missing file {gone.file.name} (evidence id {gone.pk})",
            f"missing thumbnail {present.thumbnail} (evidence id {present.pk})",
        ]
    )
    assert summary(lines).endswith(" orphans=0 orphan_bytes=0 deleted=0 missing=2")


def test_empty_storage(backend):
    assert run() == [
        "summary: files=0 referenced=0 orphans=0 orphan_bytes=0 deleted=0 missing=0"
    ]


def test_filesystem_storage_folder_not_created_yet(settings, tmp_path, complaint):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "never-created")},
        },
    }
    item = Evidence.objects.create(
        complaint=complaint,
        kind=Evidence.Kind.OTHER,
        purpose="p",
        original_name="a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        file=random_name(),
    )

    lines = run()

    assert lines == [
        f"missing file {item.file.name} (evidence id {item.pk})",
        "summary: files=0 referenced=0 orphans=0 orphan_bytes=0 deleted=0 missing=1",
    ]


def test_quiet_when_clean_with_verbosity_0(backend, complaint):
    make_item(backend, complaint, thumbnail=True)

    assert run("-v", "0") == []

    orphan = backend.put(random_name(), age=OLD)
    assert [line.split()[:2] for line in run("-v", "0")] == [["orphan", orphan]]


def test_cron_is_not_told_about_an_upload_in_flight(backend, complaint):
    make_item(backend, complaint)
    young = backend.put(random_name())

    assert run("--delete", "-v", "0") == []
    assert orphan_lines(run("--delete"))[young].endswith(
        " kept (younger than 60 minutes)"
    )
    assert backend.exists(young)


# --- Deleting ------------------------------------------------------------------


def test_delete_removes_old_orphans_and_never_referenced_or_young_files(
    backend, complaint
):
    old_item = make_item(backend, complaint, thumbnail=True, age=timedelta(days=30))
    young_item = make_item(backend, complaint, age=timedelta(0))
    gone = make_item(backend, complaint, missing=True)
    old_orphan = backend.put(random_name(), b"o" * 100, age=OLD)
    old_orphan_thumb = backend.put(random_name("thumbnails/"), b"t" * 7, age=OLD)
    young_orphan = backend.put(random_name(), b"y" * 5)

    lines = run("--delete")

    found = orphan_lines(lines)
    assert found[old_orphan].endswith(" deleted")
    assert found[old_orphan_thumb].endswith(" deleted")
    assert found[young_orphan].endswith(" kept (younger than 60 minutes)")
    assert f"missing file {gone.file.name} (evidence id {gone.pk})" in lines
    assert summary(lines) == (
        "summary: files=6 referenced=3 orphans=3 orphan_bytes=112 deleted=2 missing=1"
    )
    assert backend.all_names() == {
        old_item.file.name,
        old_item.thumbnail,
        young_item.file.name,
        young_orphan,
    }


def test_min_age_minutes_option(backend, complaint):
    orphan = backend.put(random_name(), age=OLD)

    lines = run("--delete", "--min-age-minutes", "180")
    assert orphan_lines(lines)[orphan].endswith(" kept (younger than 180 minutes)")
    assert backend.exists(orphan)

    lines = run("--delete", "--min-age-minutes", "90")
    assert orphan_lines(lines)[orphan].endswith(" deleted")
    assert not backend.exists(orphan)


def test_a_fresh_orphan_goes_once_it_is_old_enough(backend, complaint):
    item = make_item(backend, complaint, thumbnail=True, age=timedelta(0))
    orphan = backend.put(random_name())

    run("--delete")
    assert backend.exists(orphan)

    with freeze_time(timezone.now() + timedelta(minutes=61)):
        lines = run("--delete")

    assert orphan_lines(lines)[orphan].endswith(" deleted")
    assert backend.all_names() == {item.file.name, item.thumbnail}


def test_names_this_app_does_not_write_are_never_deleted(backend, complaint):
    strangers = [
        backend.put("notes.txt", age=OLD),
        backend.put("ab/not-ours", age=OLD),
        backend.put("thumbnails/zz/" + "0" * 32, age=OLD),
    ]

    lines = run("--delete")

    found = orphan_lines(lines)
    assert set(found) == set(strangers)
    assert all(
        line.endswith(" kept (not a name this app writes)") for line in found.values()
    )
    assert backend.all_names() == set(strangers)


def test_a_row_committed_after_the_comparison_saves_its_file(
    backend, complaint, monkeypatch
):
    # As if the upload's row committed after the database was read: the merge
    # sees an orphan, the check right before deleting sees the row.
    item = make_item(backend, complaint, thumbnail=True)
    monkeypatch.setattr(evidence_orphans, "referenced", lambda: iter(()))

    lines = run("--delete")

    assert backend.all_names() == {item.file.name, item.thumbnail}
    assert summary(lines) == (
        "summary: files=2 referenced=2 orphans=0 orphan_bytes=0 deleted=0 missing=0"
    )


def test_database_order_other_than_binary_stops_the_command(
    backend, complaint, monkeypatch
):
    first = make_item(backend, complaint)
    second = make_item(backend, complaint)
    names = sorted([first.file.name, second.file.name], reverse=True)
    monkeypatch.setattr(
        evidence_orphans,
        "_column",
        lambda field: iter(
            [evidence_orphans.Reference(n, "file", 1) for n in names]
            if field == "file"
            else []
        ),
    )

    with pytest.raises(CommandError, match="binary order"):
        run("--delete")

    assert backend.exists(first.file.name) and backend.exists(second.file.name)


def test_many_files_in_many_directories_compare_exactly(backend, complaint):
    rng = random.Random(20261126)
    referenced, orphans = set(), set()
    for index in range(40):
        item = make_item(backend, complaint, thumbnail=rng.random() < 0.5)
        referenced |= {item.file.name, item.thumbnail} - {""}
        if index % 3 == 0:
            orphans.add(backend.put(random_name(rng.choice(["", "thumbnails/"]))))
    # A storage's "_abc1234" clash suffix, mixed case: binary order differs
    # from a linguistic collation's.
    base = random_name()
    for suffix in ("_AbCdEfG", "_abcdefg", "_ZZZZZZZ", "_0000000"):
        if suffix in ("_AbCdEfG", "_0000000"):
            name = backend.put(base + suffix)
            Evidence.objects.create(
                complaint=complaint,
                kind=Evidence.Kind.OTHER,
                purpose="p",
                original_name="x.png",
                content_type="image/png",
                size=1,
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                file=name,
            )
            referenced.add(name)
        else:
            orphans.add(backend.put(base + suffix))

    lines = run()

    assert set(orphan_lines(lines)) == orphans
    assert not any(line.startswith("missing ") for line in lines)
    assert summary(lines).startswith(
        f"summary: files={len(referenced) + len(orphans)} "
        f"referenced={len(referenced)} orphans={len(orphans)} "
    )


def test_walk_lists_every_file_in_binary_order(backend):
    names = [
        backend.put(n, b"x")
        for n in ("a.txt", "a/b", "a/b.c/d", "a/bc", "a0", "b", "thumbnails/ab/c")
    ]

    walked = list(evidence_orphans.walk(backend.storage))

    assert walked == sorted(names)


def test_negative_min_age_is_refused(backend):
    with pytest.raises(CommandError, match="cannot be negative"):
        run("--min-age-minutes", "-1")


@pytest.mark.postgres
def test_linguistic_column_collation_on_postgresql(backend, complaint):
    """A database created with a linguistic locale (en_US.UTF-8, zh_CN.UTF-8)
    sorts "ab/x_B" before "ab/x_a" differently from Python; the command asks
    for the C collation, so the comparison still holds."""
    from django.db import connection

    with connection.cursor() as cursor:  # rolled back with the test
        for column in ("file", "thumbnail"):
            cursor.execute(
                f"ALTER TABLE complaints_evidence ALTER COLUMN {column} "
                'TYPE varchar(200) COLLATE "en-US-x-icu"'
            )
    base = random_name()
    referenced = []
    for suffix in ("_BBBBBBB", "_aaaaaaa", "_Ccccccc", "_0000000"):
        name = backend.put(base + suffix)
        Evidence.objects.create(
            complaint=complaint,
            kind=Evidence.Kind.OTHER,
            purpose="p",
            original_name="x.png",
            content_type="image/png",
            size=1,
            sha256=hashlib.sha256(name.encode()).hexdigest(),
            file=name,
        )
        referenced.append(name)
    orphan = backend.put(base + "_bbbbbbb")
    linguistic = list(Evidence.objects.order_by("file").values_list("file", flat=True))
    assert linguistic != sorted(linguistic)  # the column really sorts otherwise

    lines = run()

    assert set(orphan_lines(lines)) == {orphan}
    assert summary(lines).startswith("summary: files=5 referenced=4 orphans=1 ")
