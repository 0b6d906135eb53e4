"""Find evidence files no Evidence row refers to (orphans), and rows whose
file is gone (missing); with --delete, remove orphans older than
--min-age-minutes.

Works on any Django storage with `listdir` (the filesystem and S3-compatible
object storage alike). Memory stays small at any size (on PostgreSQL, SQLite
and MySQL; another database's names are sorted in memory): the storage is walked
in code-point order, one directory listing at a time, and merged with the
names the database streams in the same order (file and thumbnail columns,
binary collation). Nothing is deleted on the strength of that merge alone:
each batch of candidates is checked against the database again right before
it goes, and only names of the shape this app writes (`ab/<32 hex>`,
`thumbnails/ab/<32 hex>`) are ever removed.

An upload writes its file a moment before its row commits, so a young
unreferenced file may be an upload in flight; it is reported but kept.

Output is one plain line per finding, then a summary. With -v 0 the summary
and young orphans kept under --delete are left out, so cron mails only when
there is something to act on. Exit code 0.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.models.functions import Collate
from django.utils import timezone

from complaints.models import Evidence, evidence_storage

# What complaints.evidence.storage_name() produces (under thumbnails/ for
# previews), possibly with the "_abc1234" a storage adds to avoid a clash.
OWN_NAME_RE = re.compile(
    r"(?:thumbnails/)?([0-9a-f]{2})/\1[0-9a-f]{30}(?:_[A-Za-z0-9]{7})?"
)
# Orphans are re-checked against the database and deleted this many at a time.
BATCH = 500
# A binary (code-point) collation per database, so that the database streams
# names in the order Python compares them.
BINARY_COLLATIONS = {"postgresql": "C", "mysql": "utf8mb4_bin"}


class Reference(NamedTuple):
    name: str
    field: str
    pk: int


def walk(storage, directory: str = "") -> Iterator[str]:
    """Every file name in `storage` under `directory`, recursively, sorted
    by code point (a directory "d" sorts as "d/", which is where its files
    fall among their siblings)."""
    directories, files = storage.listdir(directory)
    entries = sorted(
        [(name, False) for name in files if name]
        + [(name + "/", True) for name in directories if name]
    )
    for key, is_directory in entries:
        if is_directory:
            yield from walk(storage, directory + key)
        else:
            yield directory + key


def _column(field: str) -> Iterator[Reference]:
    """The names in one Evidence column, in code-point order, streamed."""
    queryset = Evidence.objects.exclude(**{field: ""}).values_list(field, "pk")
    vendor = connections[queryset.db].vendor
    if vendor == "sqlite":  # BINARY, the default collation, is code-point order.
        ordered = queryset.order_by(field, "pk").iterator(chunk_size=2000)
    elif vendor in BINARY_COLLATIONS:
        ordered = queryset.order_by(
            Collate(field, BINARY_COLLATIONS[vendor]), "pk"
        ).iterator(chunk_size=2000)
    else:  # Unknown collation rules: sort here instead.
        ordered = iter(sorted(queryset))
    for name, pk in ordered:
        yield Reference(name, field, pk)


def referenced() -> Iterator[Reference]:
    """Every name an Evidence row refers to, in code-point order. Raises
    CommandError if the database's order is not Python's, because the
    comparison with the storage would then be wrong."""
    previous = ""
    for reference in heapq.merge(_column("file"), _column("thumbnail")):
        if reference.name < previous:
            raise CommandError(
                "The database does not return file names in binary order "
                f"({previous!r} came before {reference.name!r}); nothing was "
                "deleted. Check the column collation."
            )
        previous = reference.name
        yield reference


class Command(BaseCommand):
    help = (
        "Report evidence files that no evidence item refers to (orphans) and "
        "items whose file is missing; with --delete, remove orphans older "
        "than --min-age-minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete",
            action="store_true",
            help="Remove orphan files older than --min-age-minutes.",
        )
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=60,
            help="Never remove a file younger than this (an upload in flight "
            "writes its file before its row commits). Default 60.",
        )

    def handle(self, *args, delete, min_age_minutes, verbosity, **options):
        if min_age_minutes < 0:
            raise CommandError("--min-age-minutes cannot be negative.")
        self.storage = evidence_storage()
        self.verbosity = verbosity
        self.delete = delete
        self.cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
        self.min_age = min_age_minutes
        self.counts = dict.fromkeys(
            ("files", "referenced", "orphans", "orphan_bytes", "deleted", "missing"),
            0,
        )
        self.pending: list[tuple[str, int, str]] = []

        self._compare(self._stored_names(), referenced())
        self._flush()

        if verbosity >= 1:
            c = self.counts
            self.stdout.write(
                "summary: " + " ".join(f"{key}={value}" for key, value in c.items())
            )

    def _stored_names(self) -> Iterator[str]:
        try:
            yield from walk(self.storage)
        except FileNotFoundError:
            # A filesystem storage whose folder was never created: empty.
            return

    def _compare(self, stored: Iterator[str], refs: Iterator[Reference]) -> None:
        """Merge two sorted streams: names only in storage are orphans,
        names only in the database are missing files."""
        name = next(stored, None)
        ref = next(refs, None)
        while name is not None or ref is not None:
            if ref is None or (name is not None and name < ref.name):
                self.counts["files"] += 1
                self._orphan(name)
                name = next(stored, None)
            elif name is None or ref.name < name:
                self.counts["missing"] += 1
                self.stdout.write(
                    f"missing {ref.field} {ref.name} (evidence id {ref.pk})"
                )
                ref = next(refs, None)
            else:
                self.counts["files"] += 1
                self.counts["referenced"] += 1
                while ref is not None and ref.name == name:
                    ref = next(refs, None)
                name = next(stored, None)

    def _orphan(self, name: str) -> None:
        try:
            size = self.storage.size(name)
        except FileNotFoundError:
            return  # Removed since the listing.
        self.counts["orphans"] += 1
        self.counts["orphan_bytes"] += size
        try:
            modified = self.storage.get_modified_time(name)
        except FileNotFoundError:
            return
        except NotImplementedError:
            modified = None
        when = modified.isoformat(timespec="seconds") if modified else "unknown"
        line = f"orphan {name} {size} bytes modified {when}"
        if not self.delete:
            self.stdout.write(f"{line} kept (run with --delete to remove)")
        elif not OWN_NAME_RE.fullmatch(name):
            self.stdout.write(f"{line} kept (not a name this app writes)")
        elif modified is None:
            self.stdout.write(f"{line} kept (age unknown)")
        elif modified > self.cutoff:
            # Most likely an upload in flight: nothing to act on, so cron
            # (-v 0) is not told.
            if self.verbosity >= 1:
                self.stdout.write(f"{line} kept (younger than {self.min_age} minutes)")
        else:
            self.pending.append((name, size, line))
            if len(self.pending) >= BATCH:
                self._flush()

    def _flush(self) -> None:
        """Delete the pending orphans that the database still does not
        refer to (a row may have been committed since the comparison)."""
        if not self.pending:
            return
        names = [name for name, _, _ in self.pending]
        still_referenced = set()
        for field in ("file", "thumbnail"):
            still_referenced.update(
                Evidence.objects.filter(**{f"{field}__in": names}).values_list(
                    field, flat=True
                )
            )
        for name, size, line in self.pending:
            if name in still_referenced:
                self.counts["orphans"] -= 1
                self.counts["orphan_bytes"] -= size
                self.counts["referenced"] += 1
                continue
            self.storage.delete(name)
            self.counts["deleted"] += 1
            self.stdout.write(f"{line} deleted")
        self.pending = []
