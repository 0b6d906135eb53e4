"""Time the complaint letter PDFs through the real code path.

    DJANGO_DEBUG=1 .venv/bin/python scripts/bench_letters.py
        [--runs 20] [--channel institution] [--language zh-hans] [--draft]
        [--out test-artifacts/bench-letters] [--postgres URL | --sqlite]

The letters are rendered in a child process against a throwaway database,
never the developer's: a SQLite file in a temporary folder, or, when
DATABASE_URL (or --postgres) names a PostgreSQL server, a new database
created on that server for the run and dropped at the end (the configured
database itself is not touched). The child migrates it (the migrations seed
the channels) and creates two cases for one owner:

- "2-page": a realistic case (6 losses, 5 evidence items with real-looking
  file names, purposes and SHA-256, an ~800-character Chinese narrative,
  customer-service history, several claims); the institution letter should
  come out at about two A4 pages;
- "large": 40 loss rows and 60 evidence items.

For each case, one warm-up, then --runs iterations of exactly what a
download does: `load_complaint(pk)` (the database queries),
`build_context(...)` inside `translation.override(language)`, and
`render_pdf(channel.letter_template, ...)`. It prints pages (pypdf), PDF
size, median and p90 ms per PDF (all three stages), the per-stage medians
(load / context / pdf), the cold first render (the very first letter of the
process: WeasyPrint's import, font loading and the first layout) and the
child's peak RSS (ru_maxrss) after each case.

The two PDFs are written to --out, with pages 1 and 2 of each rendered to
PNG by `pdftoppm -r 70 -png`, for people to look at.

Targets: the 2-page letter under 200 ms median, the large one under 1 s.
Exit status 1 when a target is missed or a render fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
MARKER = "BENCH-RESULT "
DEFAULT_OUT = BASE_DIR / "test-artifacts" / "bench-letters"
TARGET_MS = {"2-page": 200.0, "large": 1000.0}
CHILD_ENV = {
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
    "DJANGO_DEBUG": "0",  # production-like: no query log, cached templates
    "DJANGO_SECURE": "0",
    "DJANGO_STATIC_MANIFEST": "0",
    "AXES_ENABLED": "0",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}

NARRATIVE = """\
我于2024年3月1日通过当地代理商办理了喔刷电签POS机一台，当时代理商承诺"终身免费使用、押金满额返还"，我交了299元押金，并按要求在APP上完成了实名认证和商户入网，商户编号为831290157220001。此后一年多里我一直用这台机器在自己经营的水果店收款，平均每天流水三千元左右，结算一直正常，都是次日到账。

2025年8月15日上午，店里顾客刷卡时机器突然提示"终端已停用，请联系服务商"，当天上午已经成功的两笔交易共计12,345.67元显示"交易成功"，但一直没有结算到我的银行卡。我当天下午在APP里看到一条通知，说因"风控策略调整"终端被关闭，没有说明具体原因，也没有告诉我钱什么时候能到账。停机之前，我没有收到任何短信、电话或者书面通知。

停机以后，我多次拨打客服热线，第一次是8月16日，客服只说"已登记，等待风控审核"，给了工单号20250816-0931；8月25日再打，客服说审核需要三十个工作日；9月20日再打，电话一直转人工排队，等了四十分钟没人接听。我又找到代理商，代理商说公司已经不让他们管了，让我自己找总部。

在此期间，APP每月仍然从我的账户里扣除"流量服务费"和"会员费"，共扣了三次，合计207元，停机后的机器根本不能使用，这些费用没有任何依据。押金299元至今也没有退还。因为不能刷卡，店里不少顾客转身去了别家，我估算九月份少做了大约四千元的生意，附近同类店铺的流水可以作证。

我认为，贵公司在没有事先通知、没有说明理由的情况下停用终端，扣住已经完成交易的结算款不给，停机后还继续扣费，严重损害了我的合法权益。我多次联系客服，都没有得到解决。现特发此函，请贵公司在收到本函之日起十五日内，将被扣留的结算款、押金和停机后扣除的费用退还给我，并书面说明停用终端的原因和依据。如果逾期不处理，我将向中国人民银行分支机构、市场监管部门投诉，并保留通过仲裁或诉讼追究责任的权利。
"""

PRIOR_CONTACT = """\
2025年8月16日拨打客服热线，客服称"已登记，等待风控审核"，工单号20250816-0931。
2025年8月25日再次致电，答复审核需要三十个工作日。
2025年9月20日致电，排队四十分钟无人接听；同日联系代理商，代理商称无权处理。
"""

LOSSES_2PAGE = [
    ("frozen_funds", "12345.67", (2025, 8, 15), "8月15日两笔已成功交易的结算款未到账"),
    ("deposit", "299.00", (2024, 3, 1), "办理机器时缴纳的押金（代理商承诺满额返还）"),
    ("fees", "69.00", (2025, 8, 31), "停机后扣除的8月流量服务费"),
    ("fees", "69.00", (2025, 9, 30), "停机后扣除的9月流量服务费"),
    ("fees", "69.00", (2025, 10, 31), "停机后扣除的10月会员费"),
    ("lost_profit", "4000.00", (2025, 9, 30), "无法刷卡收款导致9月营业额减少（估算）"),
]

EVIDENCE_2PAGE = [
    (
        "notice",
        "APP停机通知截图_20250815.png",
        "证明终端于2025年8月15日被停用且未说明理由",
    ),
    ("statement", "银行卡流水_2025年8月.pdf", "证明8月15日两笔交易的结算款至今未到账"),
    ("receipt", "交易小票_20250815_两张.jpg", "证明交易成功，显示商户编号和终端号"),
    (
        "chat_log",
        "客服通话记录及工单截图.png",
        "证明多次联系客服未获解决，工单号20250816-0931",
    ),
    (
        "contract",
        "押金收据及代理商承诺聊天记录.pdf",
        "证明已缴纳押金299元及满额返还的承诺",
    ),
]

EVIDENCE_KINDS = [
    ("statement", "银行卡流水_{month}.pdf", "证明{month}结算款到账情况"),
    ("receipt", "交易小票_{n:03d}.jpg", "证明第{n}笔交易成功并显示商户编号"),
    ("screenshot", "APP交易记录截图_{n:03d}.png", "证明APP显示交易成功但结算未到账"),
    ("chat_log", "客服聊天记录_{n:03d}.png", "证明第{n}次联系客服的时间和答复"),
    ("notice", "扣费短信截图_{n:03d}.png", "证明停机后仍被扣除服务费"),
    ("audio", "客服通话录音_{n:03d}.m4a", "证明客服承认结算款被冻结"),
]


# --- Child: one database ---------------------------------------------------------


def _sha(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def _make_cases(owner) -> dict[str, int]:
    """The two benchmark cases; their primary keys by label."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from complaints.models import Brand, Complaint, Evidence, Institution, LossItem

    rng = random.Random(2026)
    institution = Institution.objects.create(
        name="上海示例支付服务有限公司（基准测试）",
        kind=Institution.Kind.PAYMENT_INSTITUTION,
        licence_number="Z2099931000019",
        province="SH",
        city="浦东新区",
        address="上海市浦东新区世纪大道1000号示例大厦18层",
        hotline="400-000-0000",
    )
    brand, _created = Brand.objects.get_or_create(name="喔刷")
    now = timezone.now()

    def complaint(number: str, **extra) -> Complaint:
        return Complaint.objects.create(
            number=number,
            owner=owner,
            status="submitted",
            submitted_at=now,
            complainant_type="individual",
            complainant_name="王小明",
            id_number="11010519491231002X",
            contact_phone="13900001234",
            address="广东省深圳市南山区科技园示例路8号水果店",
            province="GD",
            city="深圳市南山区",
            respondent_institution=institution,
            brand=brand,
            agent_name="李某（深圳代理商）",
            agent_phone="13700005678",
            terminal_sn="WSP2403018842",
            terminal_number="60312457",
            merchant_number="831290157220001",
            terminal_model="P30 电签版",
            activated_on=datetime.date(2024, 3, 1),
            deposit_paid=Decimal("299.00"),
            deactivated_on=datetime.date(2025, 8, 15),
            deactivation_notice="app",
            deactivation_notice_detail="APP推送：因风控策略调整，您的终端已关闭收款功能。",
            last_settlement_on=datetime.date(2025, 8, 14),
            harm_known_on=datetime.date(2025, 8, 16),
            narrative=NARRATIVE,
            prior_contact="refused",
            prior_contact_detail=PRIOR_CONTACT,
            claims=[
                "release_funds",
                "refund_deposit",
                "refund_fees",
                "compensate",
                "explain",
                "stop_fees",
            ],
            claims_other="赔偿因本次纠纷产生的交通费、通讯费等合理支出。",
            consent_processing_at=now,
            consent_sensitive_at=now,
            **extra,
        )

    def evidence(case, position, kind, name, purpose) -> None:
        suffix = Path(name).suffix.lower()
        content_type = {
            ".pdf": "application/pdf",
            ".png": "image/png",
            ".jpg": "image/jpeg",
            ".m4a": "audio/mp4",
        }.get(suffix, "application/octet-stream")
        Evidence.objects.create(
            complaint=case,
            kind=kind,
            purpose=purpose,
            is_original=position % 3 != 2,
            file=f"bench/{case.number}-{position}{suffix}",
            original_name=name,
            content_type=content_type,
            size=rng.randint(40_000, 4_000_000),
            sha256=_sha(f"{case.number}/{position}/{name}"),
            uploaded_by=owner,
        )

    small = complaint("WQ-2026-000123")
    for position, (category, amount, day, text) in enumerate(LOSSES_2PAGE):
        LossItem.objects.create(
            complaint=small,
            category=category,
            amount=Decimal(amount),
            occurred_on=datetime.date(*day),
            description=text,
            position=position,
        )
    for position, (kind, name, purpose) in enumerate(EVIDENCE_2PAGE):
        evidence(small, position, kind, name, purpose)

    large = complaint("WQ-2026-000456")
    categories = [c for c, _label in LossItem.Category.choices]
    LossItem.objects.bulk_create(
        [
            LossItem(
                complaint=large,
                category=categories[i % len(categories)],
                amount=Decimal(rng.randint(1_000, 2_500_000)) / 100,
                occurred_on=datetime.date(2025, 8, 15) + datetime.timedelta(days=i * 3),
                description=f"第{i + 1}笔：{LOSSES_2PAGE[i % 6][3]}",
                position=i,
            )
            for i in range(40)
        ]
    )
    months = [f"2025年{m}月" for m in range(1, 13)]
    for position in range(60):
        kind, name, purpose = EVIDENCE_KINDS[position % len(EVIDENCE_KINDS)]
        values = {"n": position + 1, "month": months[position % 12]}
        evidence(large, position, kind, name.format(**values), purpose.format(**values))
    return {"2-page": small.pk, "large": large.pk}


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def child(args) -> int:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    from complaints.letters import context as letter_context
    from complaints.letters import render
    from complaints.models import Channel

    preloaded = "weasyprint" in sys.modules  # then "cold" excludes the import
    call_command("migrate", verbosity=0, interactive=False)
    owner = get_user_model().objects.create_user(
        username="13900001234", phone="13900001234", password=None
    )
    cases = _make_cases(owner)
    channel = Channel.objects.get(code=args.channel)
    template = channel.letter_template
    language = args.language
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(
        MARKER
        + json.dumps(
            {
                "kind": "setup",
                "db": connection.vendor,
                "template": template,
                "rss_before_mb": _peak_rss_mb(),
                "weasyprint_preloaded": preloaded,
            }
        ),
        flush=True,
    )

    def one(pk: int) -> tuple[bytes, float, float, float]:
        started = time.perf_counter()
        complaint = letter_context.load_complaint(pk)
        loaded = time.perf_counter()
        with translation.override(language):
            data = letter_context.build_context(complaint, channel, draft=args.draft)
        built = time.perf_counter()
        pdf = render.render_pdf(template, data, language=language)
        done = time.perf_counter()
        return (
            pdf,
            (loaded - started) * 1000,
            (built - loaded) * 1000,
            (done - built) * 1000,
        )

    failed = False
    # The cold first letter, in three parts that add up to what the first
    # request of a fresh worker pays: WeasyPrint's import, the fonts and
    # stylesheets (render.warm_up()), the first layout.
    started = time.perf_counter()
    import weasyprint  # noqa: F401

    imported = time.perf_counter()
    render.warm_up()
    warmed = time.perf_counter()
    cold = {
        "import_ms": (imported - started) * 1000,
        "fonts_ms": (warmed - imported) * 1000,
        "rss_after_fonts_mb": _peak_rss_mb(),
    }
    for label, pk in cases.items():
        try:
            started = time.perf_counter()
            pdf, *_stages = one(pk)  # the warm-up (the first is the cold render)
            first_ms = (time.perf_counter() - started) * 1000
            if "first_ms" not in cold:
                cold["first_ms"] = first_ms
                cold["total_ms"] = sum(
                    cold[k] for k in ("import_ms", "fonts_ms", "first_ms")
                )
                print(MARKER + json.dumps({"kind": "cold", **cold}), flush=True)
            totals, loads, contexts, pdfs = [], [], [], []
            for _run in range(args.runs):
                started = time.perf_counter()
                pdf, load_ms, context_ms, pdf_ms = one(pk)
                totals.append((time.perf_counter() - started) * 1000)
                loads.append(load_ms)
                contexts.append(context_ms)
                pdfs.append(pdf_ms)
        except Exception as error:  # report, go on with the other case
            import traceback

            traceback.print_exc()
            print(
                MARKER
                + json.dumps({"kind": "error", "case": label, "error": repr(error)}),
                flush=True,
            )
            failed = True
            continue
        pages, pngs = _write_outputs(out, label, pdf)
        print(
            MARKER
            + json.dumps(
                {
                    "kind": "case",
                    "case": label,
                    "runs": args.runs,
                    "pages": pages,
                    "bytes": len(pdf),
                    "median_ms": statistics.median(totals),
                    "p90_ms": _percentile(totals, 0.9),
                    "load_ms": statistics.median(loads),
                    "context_ms": statistics.median(contexts),
                    "pdf_ms": statistics.median(pdfs),
                    "first_ms": first_ms,
                    "peak_rss_mb": _peak_rss_mb(),
                    "pdf_path": str(out / f"{label}.pdf"),
                    "pngs": pngs,
                }
            ),
            flush=True,
        )
    from django.db import connections

    connections.close_all()
    return 1 if failed else 0


def _write_outputs(out: Path, label: str, pdf: bytes) -> tuple[int, list[str]]:
    """Save the PDF, count its pages, render pages 1-2 to PNG (70 dpi)."""
    import io

    from pypdf import PdfReader

    path = out / f"{label}.pdf"
    path.write_bytes(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    for old in out.glob(f"{label}-page-*.png"):
        old.unlink()
    pngs = []
    if shutil.which("pdftoppm"):
        for number in (1, 2):
            if number > pages:
                continue
            target = out / f"{label}-page-{number}"
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "70",
                    "-png",
                    "-singlefile",
                    "-f",
                    str(number),
                    "-l",
                    str(number),
                    str(path),
                    str(target),
                ],
                check=True,
            )
            pngs.append(str(target.with_suffix(".png")))
    return pages, pngs


# --- Parent: the throwaway database and the table --------------------------------


def _run_child(database_url: str, args) -> list[dict]:
    env = {**os.environ, **CHILD_ENV, "DATABASE_URL": database_url}
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--runs",
        str(args.runs),
        "--channel",
        args.channel,
        "--language",
        args.language,
        "--out",
        str(args.out),
        *(["--draft"] if args.draft else []),
    ]
    process = subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    rows = [
        json.loads(line[len(MARKER) :])
        for line in process.stdout.splitlines()
        if line.startswith(MARKER)
    ]
    if process.returncode != 0:
        sys.stderr.write(process.stdout[-4000:] + process.stderr[-6000:])
        if not rows:
            raise SystemExit(f"benchmark failed (exit {process.returncode})")
    return rows


def _sqlite(args) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-letters-") as folder:
        return _run_child(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args)


def _postgres(server_url: str, args) -> list[dict]:
    """A new database on the server of `server_url`, dropped at the end."""
    import psycopg

    parts = urlsplit(server_url)
    name = f"casetracker_bench_{secrets.token_hex(4)}"
    # psycopg wants postgresql://; django-environ also knows pgsql:// etc.
    admin_dsn = urlunsplit(
        parts._replace(
            scheme="postgresql", path="/" + (parts.path.strip("/") or "postgres")
        )
    )
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return _run_child(urlunsplit(parts._replace(path="/" + name)), args)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _report(rows: list[dict]) -> tuple[str, bool]:
    setup = next((r for r in rows if r["kind"] == "setup"), {})
    preloaded = setup.get("weasyprint_preloaded")
    cases = [r for r in rows if r["kind"] == "case"]
    errors = [r for r in rows if r["kind"] == "error"]
    lines = [
        f"database: {setup.get('db', '?')}   template: {setup.get('template', '?')}"
        f"   RSS before the first letter: {setup.get('rss_before_mb', 0):.0f} MB",
    ]
    header = (
        "case",
        "pages",
        "PDF KB",
        "median ms",
        "p90 ms",
        "load",
        "context",
        "pdf",
        "first ms",
        "peak RSS MB",
        "target",
    )
    table, ok = [], not errors
    for row in cases:
        target = TARGET_MS.get(row["case"])
        met = target is None or row["median_ms"] < target
        ok &= met
        table.append(
            (
                row["case"],
                str(row["pages"]),
                f"{row['bytes'] / 1024:.0f}",
                f"{row['median_ms']:.1f}",
                f"{row['p90_ms']:.1f}",
                f"{row['load_ms']:.1f}",
                f"{row['context_ms']:.1f}",
                f"{row['pdf_ms']:.1f}",
                f"{row['first_ms']:.0f}",
                f"{row['peak_rss_mb']:.0f}",
                f"< {target:.0f} ms {'ok' if met else 'MISSED'}" if target else "",
            )
        )
    if table:
        widths = [
            max(len(h), *(len(line[i]) for line in table)) for i, h in enumerate(header)
        ]
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        lines += [
            "  ".join(
                c.ljust(w) if i in (0, 10) else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
            for line in table
        ]
        runs = cases[0]["runs"]
        lines.append(
            f"median/p90 over {runs} runs after one warm-up; load/context/pdf are "
            "per-stage medians; first = the warm-up render of that case."
        )
    cold = next((r for r in rows if r["kind"] == "cold"), None)
    if cold is not None:
        lines.append(
            f"cold first render of the process: {cold['total_ms']:.0f} ms = "
            f"WeasyPrint import {cold['import_ms']:.0f} + fonts and stylesheets "
            f"{cold['fonts_ms']:.0f} + first letter {cold['first_ms']:.0f}"
            + (" (WeasyPrint was imported by django.setup())" if preloaded else "")
            + f"; peak RSS after the fonts: {cold['rss_after_fonts_mb']:.0f} MB"
        )
    if table:
        for row in cases:
            lines.append(f"{row['case']}: {row['pdf_path']}")
            lines += [f"  {png}" for png in row["pngs"]]
    for row in errors:
        lines.append(f"{row['case']}: FAILED {row['error']}")
    return "\n".join(lines), ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--channel", default="institution")
    parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
    parser.add_argument(
        "--draft", action="store_true", help="render drafts (watermarked 草稿)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server to create the throwaway database on "
        "(default: the server of DATABASE_URL when it is PostgreSQL)",
    )
    where.add_argument(
        "--sqlite", action="store_true", help="SQLite even if DATABASE_URL is set"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.child:
        return child(args)

    server = args.postgres
    if server is None and not args.sqlite:
        configured = os.environ.get("DATABASE_URL", "")
        if configured.startswith(
            ("postgres://", "postgresql://", "pgsql://", "postgis://")
        ):
            server = configured
    rows = _postgres(server, args) if server else _sqlite(args)
    text, ok = _report(rows)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
