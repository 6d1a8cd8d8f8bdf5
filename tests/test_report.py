"""report.html from a run folder: self-contained, its plots and tables, and in a browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_serve_page import ARGS, CHROMIUM  # the project's headless Chromium settings

from recdistill.errors import UserError
from recdistill.report.ratios import distillation_rows
from recdistill.runfolder import RunFolder


def render_report(run_dir: Path) -> str:
    """The page the run folder writes (metrics.json and the train logs read through it)."""
    return RunFolder(run_dir).write_report().read_text("utf-8")


def write_report(run_dir: Path) -> Path:
    return RunFolder(run_dir).write_report()


def entry(role: str, ndcg: float, nbytes: int, ms: float, **extra: Any) -> dict[str, Any]:
    metrics = {}
    for k in (10, 20):
        bump = 1.0 if k == 10 else 1.3
        metrics |= {
            f"ndcg@{k}": ndcg * bump,
            f"recall@{k}": 2 * ndcg * bump,
            f"hr@{k}": 2 * ndcg * bump,
            f"mrr@{k}": ndcg / 2,
            f"coverage@{k}": 0.3,
            f"novelty@{k}": 4.0,
            f"recall_head@{k}": 0.5,
            f"recall_mid@{k}": 0.2,
            f"recall_tail@{k}": 0.05,
        }
    return {
        "role": role,
        "kd": None,
        "params": nbytes // 4,
        "serving_bytes": nbytes,
        "latency_ms_per_user": ms,
        "latency_ms_per_user_batched": ms / 10,
        "train_seconds": 1.0,
        "metrics": metrics,
        "val_metrics": metrics,
        **extra,
    }


@pytest.fixture()
def run(tmp_path: Path) -> Path:
    models = {
        "teacher": entry("teacher", 0.10, 700_000, 2.0),
        "student-scratch": entry(
            "student", 0.08, 60_000, 0.1, student="student", teacher="teacher"
        ),
        "student-listwise": entry(
            "student", 0.095, 60_000, 0.1, student="student", teacher="teacher"
        ),
        "ease": entry("baseline", 0.07, 11_000_000, 0.3),
    }
    models["student-listwise"]["kd"] = "listwise"
    doc = {
        "dataset": {"name": "tiny <shop>", "users": 10, "items": 5, "interactions": 50},
        "k": [10, 20],
        "protocol": {"select_metric": "ndcg@10"},
        "models": models,
        "distillation": distillation_rows(models),
    }
    (tmp_path / "metrics.json").write_text(json.dumps(doc))
    for name in ("teacher", "student-listwise"):
        folder = tmp_path / "models" / name
        folder.mkdir(parents=True)
        epochs = [{"epoch": e, "loss": 5.0 - e, "val": {"ndcg@10": 0.02 * e}} for e in (1, 2, 3)]
        (folder / "train_log.json").write_text(json.dumps({"epochs": epochs}))
    return tmp_path


def test_report_is_self_contained_with_plots_and_ratios(run: Path) -> None:
    page = render_report(run)
    assert page.count("<svg") >= 5  # size, latency, metrics across K, curves, popularity
    assert "http://" not in page and "https://" not in page and "src=" not in page
    assert "tiny &lt;shop&gt;" in page  # names are escaped
    # The ratio table: 95% of the teacher, 75% of the gap closed, 8.6% of the bytes.
    assert "95.0%" in page and "75.0%" in page and "8.6%" in page


def test_report_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"metrics\.json"):
        render_report(tmp_path)
    (tmp_path / "metrics.json").write_text(json.dumps({"models": {}}))
    with pytest.raises(UserError, match="no models"):
        render_report(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed")
def test_report_renders_in_chromium_without_network(run: Path, tmp_path: Path) -> None:
    from playwright import sync_api

    path = write_report(run)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            assert requests == [path.as_uri()]  # nothing fetched beyond the file itself
            assert not errors
            plots = page.locator("svg")
            assert plots.count() >= 5 and plots.first.is_visible()
            assert page.get_by_text("student-listwise").first.is_visible()
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
        finally:
            browser.close()
