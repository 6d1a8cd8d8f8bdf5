"""The page at `/` in headless Chromium (Debian's chromium, driven by Playwright):
load a user, click a recommendation, see the history and both lists update.

The screenshot goes to the test's temporary folder; set RECDISTILL_SCREENSHOT=PATH to
keep it (docs/img/page.png is made with RECDISTILL_PAGE_RUN pointing at a demo run).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_serve_durability import server
from test_serve_units import TOKEN, run_dir  # noqa: F401  (fixture)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium not installed (scripts/setup --dev installs Debian's chromium)",
    ),
]


def test_page_shows_lists_and_a_click_updates_them(
    run_dir: Path, tmp_path: Path  # noqa: F811
) -> None:
    from playwright import sync_api  # the dev extra's Playwright drives Debian's chromium
    run = Path(os.environ.get("RECDISTILL_PAGE_RUN") or run_dir)
    user = json.loads((run / "metrics.json").read_text())["dataset"]["sample_users"][0]
    store = f"sqlite:///{tmp_path / 'events.db'}"
    with server(run, store, tmp_path / "server.log") as (_, port), sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{port}/?user={user}")
            page.wait_for_selector("body[data-ready='1']", timeout=20_000)

            items = page.get_by_test_id("rec-item")
            student = page.locator("[data-testid='rec-item'][data-model='student']")
            teacher = page.locator("[data-testid='rec-item'][data-model='teacher']")
            assert student.count() == 10 and teacher.count() == 10 and items.count() == 20
            assert page.get_by_test_id("headline-teacher").is_visible()
            assert page.get_by_test_id("headline-student").is_visible()
            history = page.get_by_test_id("history-item")
            n_hist = history.count()
            assert n_hist > 0
            before_student = student.evaluate_all("els => els.map(e => e.dataset.itemId)")
            before_teacher = teacher.evaluate_all("els => els.map(e => e.dataset.itemId)")

            # Click the student's top item: the page asks for the token once, then records.
            picked = before_student[0]
            student.first.click()
            page.get_by_test_id("token-input").fill(TOKEN)
            page.get_by_test_id("token-save").click()
            page.wait_for_function(
                "() => document.querySelector('[data-testid=status]').textContent"
                ".startsWith('Recorded')", timeout=20_000,
            )
            last = history.last
            assert last.get_attribute("data-item-id") == picked
            after_student = student.evaluate_all("els => els.map(e => e.dataset.itemId)")
            after_teacher = teacher.evaluate_all("els => els.map(e => e.dataset.itemId)")
            assert picked not in after_student and after_student != before_student
            assert picked not in after_teacher
            assert after_teacher != before_teacher or picked not in before_teacher

            # A second click uses the token kept in sessionStorage (no prompt).
            second = after_teacher[0]
            teacher.first.click()
            page.wait_for_function(
                "id => document.querySelector('[data-testid=status]').textContent"
                ".includes('Recorded') && [...document.querySelectorAll("
                "'[data-testid=history-item]')].pop().dataset.itemId === id",
                arg=second, timeout=20_000,
            )
            assert page.get_by_test_id("token-input").is_hidden()
            assert not errors, errors

            shot = tmp_path / "page.png"
            page.screenshot(path=str(shot), full_page=True)
            keep = os.environ.get("RECDISTILL_SCREENSHOT")
            if keep:
                Path(keep).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, keep)
        finally:
            browser.close()


def test_swagger_ui_renders_offline(run_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    """``/docs`` renders the API with every request to anything but the server refused."""
    from playwright import sync_api

    store = f"sqlite:///{tmp_path / 'events.db'}"
    with server(run_dir, store, tmp_path / "server.log") as (_, port), \
            sync_api.sync_playwright() as p:  # fmt: skip
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page()
            outside: list[str] = []
            local = f"http://127.0.0.1:{port}/"

            def gate(route: Any) -> None:
                if route.request.url.startswith(local):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", gate)
            page.goto(f"{local}docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
            assert "recdistill" in page.locator(".swagger-ui .info .title").inner_text()
            page.wait_for_selector(".opblock", timeout=20_000)
            paths = page.locator(".opblock-summary-path").evaluate_all(
                "els => els.map(e => e.dataset.path || e.textContent)"
            )
            assert any("/v1/events" in p for p in paths), paths
            assert page.locator(".opblock").count() >= 9
            assert not outside, outside
        finally:
            browser.close()
