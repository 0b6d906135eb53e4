"""Screenshots of the main pages at phone (390 px) and desktop (1280 px) width.

Run against a server started with `make run`:
    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000] [out-dir]
Logs in as the demo user; PNGs go to test-artifacts/screens/ by default.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "test-artifacts/screens")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, width in (("phone", 390), ("desktop", 1280)):
            ctx = browser.new_context(
                viewport={"width": width, "height": 900}, locale="zh-CN"
            )
            page = ctx.new_page()
            for label, path in (
                ("home", "/"),
                ("signup", "/accounts/signup/"),
                ("login", "/accounts/login/"),
            ):
                page.goto(BASE + path)
                page.screenshot(path=OUT / f"{name}-{label}.png", full_page=True)
            page.fill("#id_username", "13800138000")
            page.fill("#id_password", "demo-user-2026")
            page.click("form button[type=submit] >> nth=-1")
            page.goto(BASE + "/cases/")
            page.screenshot(path=OUT / f"{name}-list.png", full_page=True)
            links = page.locator("a.case-number")
            hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
            for i, href in enumerate(hrefs):
                page.goto(BASE + href)
                page.screenshot(path=OUT / f"{name}-detail-{i}.png", full_page=True)
            if hrefs:
                for label, suffix in (
                    ("letter", "letters/institution/"),
                    ("letter-en", "letters/institution/?lang=en"),
                    ("filing-new", "filings/new/?channel=pboc"),
                ):
                    page.goto(BASE + hrefs[-1] + suffix)
                    page.screenshot(path=OUT / f"{name}-{label}.png", full_page=True)
            page.goto(BASE + "/cases/new/")
            page.screenshot(path=OUT / f"{name}-new.png", full_page=True)
            ctx.close()
        # The reviewer's side: filings, overdue, untimely bodies.
        ctx = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN"
        )
        page = ctx.new_page()
        page.goto(BASE + "/admin/login/")
        page.fill("#id_username", "reviewer@example.com")
        page.fill("#id_password", "demo-reviewer-2026")
        page.click("input[type=submit]")
        for label, path in (
            ("admin-filings", "/admin/complaints/filing/"),
            ("admin-untimely", "/admin/complaints/filing/untimely/"),
            ("admin-letters", "/admin/complaints/letter/"),
            ("admin-overdue", "/admin/complaints/complaint/?deadlines=overdue"),
        ):
            page.goto(BASE + path)
            page.screenshot(path=OUT / f"desktop-{label}.png", full_page=True)
        ctx.close()
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
