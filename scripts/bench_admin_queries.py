"""Query counts and timings of the reviewers' admin pages at scale.

    .venv/bin/python scripts/bench_admin_queries.py [N ...]
        [--postgres postgres://postgres@127.0.0.1:5432/postgres]
        [--no-sqlite] [--repeat 5]

For each database (a throwaway SQLite file in a temporary folder, and, with
--postgres, a throwaway PostgreSQL database created on that server and
dropped at the end), the script migrates it, creates a reviewer (staff, in
the "Reviewers" group the migrations create) and, for each N in increasing
order (default 100 and 10000), grows the data to N complaints with 1-3 loss
items each (bulk_create, non-draft statuses mostly, several institutions,
free-text respondents and provinces). It then GETs, logged in with the test
Client:

- the complaint changelist          /admin/complaints/complaint/
- a filtered changelist             /admin/complaints/complaint/?status__exact=submitted
- the dashboard                     /admin/dashboard/

once to warm up and then --repeat times, counting the queries of the last
request (CaptureQueriesContext) and printing the median wall time. It only
relies on URLs and model fields, so it works whatever the complaint admin
currently looks like. Each database runs in its own child process (settings
read DATABASE_URL once). Exit status 1 if a page does not answer 200.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
MARKER = "BENCH-RESULT "
PAGES = [
    ("changelist", "/admin/complaints/complaint/"),
    (
        "changelist ?status=submitted",
        "/admin/complaints/complaint/?status__exact=submitted",
    ),
    ("dashboard", "/admin/dashboard/"),
]
CHILD_ENV = {
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE": "0",
    "DJANGO_STATIC_MANIFEST": "0",
    "AXES_ENABLED": "0",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}


# --- Child: one database ---------------------------------------------------------


def _grow(target: int, start: int, context: dict) -> None:
    """Add complaints start..target-1 with 1-3 loss items each (bulk)."""
    import datetime
    import random
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from complaints.models import Complaint, LossItem, Status

    rng = random.Random(start)
    statuses = list(Status)
    # Mostly cases a reviewer deals with, some drafts.
    weights = [1 if s == Status.DRAFT else 3 for s in statuses]
    provinces = ["SH", "GD", "BJ", "ZJ", "JS", "SC", "HB", ""]
    categories = list(LossItem.Category)
    institutions = context["institutions"]
    owners = context["owners"]
    now = timezone.now()
    batch = 1000
    for offset in range(start, target, batch):
        complaints = []
        for i in range(offset, min(offset + batch, target)):
            status = rng.choices(statuses, weights)[0]
            linked = i % 5 != 0
            complaints.append(
                Complaint(
                    number=f"BN-{i:08d}",
                    owner=owners[i % len(owners)],
                    status=status,
                    complainant_type="individual",
                    complainant_name=f"测试人{i}",
                    id_number="11010519491231002X",
                    contact_phone=f"139{i:08d}",
                    province=provinces[i % len(provinces)],
                    city="测试市",
                    respondent_institution=institutions[i % len(institutions)]
                    if linked
                    else None,
                    respondent_name="" if linked else f"自由填写支付公司{i % 37}",
                    terminal_sn=f"SN{i:010d}",
                    merchant_number="831290157220001",
                    narrative="机器突然停用，结算款至今未到账。",
                    claims=["release_funds"],
                    amount_recovered=Decimal(rng.randint(1, 50000)) / 10
                    if status == Status.RESOLVED
                    else None,
                    submitted_at=None
                    if status == Status.DRAFT
                    else now
                    - datetime.timedelta(minutes=rng.randint(60, 60 * 24 * 200)),
                )
            )
        with transaction.atomic():
            Complaint.objects.bulk_create(complaints)
            losses = [
                LossItem(
                    complaint=complaint,
                    category=rng.choice(categories),
                    amount=Decimal(rng.randint(100, 5_000_000)) / 100,
                    position=position,
                )
                for complaint in complaints
                for position in range(rng.randint(1, 3))
            ]
            LossItem.objects.bulk_create(losses, batch_size=1000)
    # Fresh planner statistics, as autovacuum would give a live database.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _measure(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # warm-up
    times = []
    queries = None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    return {
        "status": response.status_code,
        "queries": queries,
        "ms": statistics.median(times),
    }


def child(counts: list[int], repeat: int, label: str) -> int:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from complaints.models import Institution

    setup_test_environment()  # "testserver" host, locmem email
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False)

    User = get_user_model()
    reviewer = User.objects.create_user(
        username="bench-reviewer", phone="13700000000", password=None, is_staff=True
    )
    group, _created = Group.objects.get_or_create(name="Reviewers")
    if not group.permissions.filter(codename="view_complaint").exists():
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label="complaints", codename="view_complaint"
            )
        )
    reviewer.groups.add(group)
    owners = User.objects.bulk_create(
        [User(username=f"13800{i:06d}", phone=f"13800{i:06d}") for i in range(50)]
    )
    owners = list(User.objects.filter(username__startswith="13800").order_by("pk"))
    institutions = list(Institution.objects.all()[:20])
    institutions += Institution.objects.bulk_create(
        [Institution(name=f"基准测试支付有限公司{i}") for i in range(20)]
    )
    institutions = list(Institution.objects.order_by("pk"))
    context = {"owners": owners, "institutions": institutions}

    client = Client()
    client.force_login(reviewer)
    failed = False
    have = 0
    for count in sorted(counts):
        started = time.perf_counter()
        _grow(count, have, context)
        have = count
        setup_s = time.perf_counter() - started
        for page, url in PAGES:
            result = _measure(client, url, repeat)
            failed |= result["status"] != 200
            row = {"db": label, "n": count, "page": page, "setup_s": setup_s, **result}
            print(MARKER + json.dumps(row), flush=True)
    from django.db import connections

    connections.close_all()
    return 1 if failed else 0


# --- Parent: databases and the table ---------------------------------------------


def _run_child(database_url: str, counts, repeat, label) -> list[dict]:
    env = {**os.environ, **CHILD_ENV, "DATABASE_URL": database_url}
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        label,
        "--repeat",
        str(repeat),
        *map(str, counts),
    ]
    process = subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    rows = [
        json.loads(line[len(MARKER) :])
        for line in process.stdout.splitlines()
        if line.startswith(MARKER)
    ]
    if process.returncode != 0 and not rows:
        sys.stderr.write(process.stdout[-4000:] + process.stderr[-4000:])
        raise SystemExit(f"{label}: benchmark failed (exit {process.returncode})")
    if process.returncode != 0:
        sys.stderr.write(process.stderr[-2000:])
    return rows


def _sqlite(counts, repeat) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-admin-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return _run_child(url, counts, repeat, "sqlite")


def _postgres(server_url: str, counts, repeat) -> list[dict]:
    import psycopg

    parts = urlsplit(server_url)
    name = f"casetracker_bench_{secrets.token_hex(4)}"
    admin_dsn = urlunsplit(
        parts._replace(path="/" + (parts.path.strip("/") or "postgres"))
    )
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(parts._replace(path="/" + name))
        return _run_child(url, counts, repeat, "postgresql")
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _table(rows: list[dict]) -> str:
    header = ("database", "complaints", "page", "status", "queries", "median ms")
    lines = [
        (
            row["db"],
            f"{row['n']:,}",
            row["page"],
            str(row["status"]),
            str(row["queries"]),
            f"{row['ms']:.1f}",
        )
        for row in rows
    ]
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)
    ]
    out = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    out += [
        "  ".join(
            c.rjust(w) if i in (1, 3, 4, 5) else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("counts", nargs="*", type=int, default=[100, 10000])
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server URL")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", metavar="LABEL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.counts, args.repeat, args.child)

    rows = []
    if not args.no_sqlite:
        rows += _sqlite(args.counts, args.repeat)
    if args.postgres:
        rows += _postgres(args.postgres, args.counts, args.repeat)
    print(_table(rows))
    return 0 if all(row["status"] == 200 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
