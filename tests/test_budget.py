"""The run budget: parsing, the split across stages, overruns shrinking later stages, the
baselines' guards (memory and time), and a tiny budgeted run that stays inside its budget."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from recdistill.budget import SHARES, Plan, parse_budget
from recdistill.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20m", 1200.0), ("90s", 90.0), ("1.5h", 5400.0), ("45", 45.0), (600, 600.0),
     ("none", None), (None, None), (" 2M ", 120.0)],
)
def test_budgets_parse(text: Any, seconds: float | None) -> None:
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("bad", ["20 minutes", "-5m", "0", "m", True, "1e9x"])
def test_bad_budgets_are_one_clear_line(bad: Any) -> None:
    with pytest.raises(ConfigError, match="budget"):
        parse_budget(bad)


def test_the_plan_splits_what_is_left_by_the_shares() -> None:
    plan = Plan(600.0)
    plan.lay_out(["teacher", "students", "baselines", "report"])
    planned = {n: r.planned_s for n, r in plan.stages.items()}
    total_share = sum(SHARES[n] for n in planned) + SHARES["reserve"]
    for name, seconds in planned.items():
        assert seconds == pytest.approx(600.0 * SHARES[name] / total_share, rel=0.01)
    assert sum(planned.values()) < 600.0  # the reserve is kept


def test_an_overrun_shrinks_the_later_stages_and_savings_grow_them() -> None:
    def students_after(teacher_took: float) -> float:
        plan = Plan(100.0)
        plan.lay_out(["teacher", "students", "report"])
        plan.t0 -= teacher_took
        plan.stages["teacher"].seconds = teacher_took
        allowed = plan.allowance("students")
        assert allowed is not None
        return allowed

    plan = Plan(100.0)
    plan.lay_out(["teacher", "students", "report"])
    teacher_share, students_share = plan.stages["teacher"].planned_s, plan.allowance("students")
    assert teacher_share is not None and students_share is not None
    assert students_after(teacher_share + 20.0) < students_share  # an overrun: less
    assert students_after(teacher_share - 20.0) > students_share  # a saving: more
    assert students_after(99.0) < 1.0  # what is left is shared, never more


def test_stages_record_what_they_took_and_the_notes_reach_metrics() -> None:
    plan = Plan(30.0)
    plan.lay_out(["teacher", "report"])
    with plan.stage("teacher") as allowed:
        assert allowed is not None and 0 < allowed < 30.0
        time.sleep(0.05)
    plan.note("ease", "skipped", "needs 12 GiB")
    doc = plan.as_dict()
    assert doc["budget_s"] == 30.0 and doc["stages"]["teacher"]["seconds"] >= 0.05
    assert doc["notes"] == [{"subject": "ease", "action": "skipped", "reason": "needs 12 GiB"}]
    assert Plan(None).allowance("teacher") is None  # no budget: no allowance


def test_the_baseline_guard_skips_ease_when_its_gram_matrix_exceeds_the_bound() -> None:
    from recdistill.models import build_model
    from recdistill.models.cost import DataSize

    big = DataSize(users=200_000, items=54_000, interactions=5_000_000, eval_users=50_000)
    ease = build_model("ease").estimate(big)
    assert ease.memory_bytes > 30 * 2**30  # three 54k x 54k float32 arrays
    small = DataSize(users=6_040, items=3_416, interactions=1_000_000, eval_users=6_040)
    assert build_model("ease").estimate(small).memory_bytes < 1 * 2**30
    assert build_model("ease").estimate(big).fit_seconds > 100 * build_model(
        "ease"
    ).estimate(small).fit_seconds


def _stage(tmp_path: Path, n_items: int, budget: str | None, memory_gb: float | None) -> Any:
    import numpy as np

    from recdistill.budget import Plan
    from recdistill.config import parse_config
    from recdistill.data.types import Interactions
    from recdistill.runfolder import RunFolder
    from recdistill.split import make_split
    from recdistill.stages.context import Stage, run_options

    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(50), 6)
    items = rng.integers(0, n_items, len(users))
    table = Interactions.build(users, items, np.arange(len(users)), 50, n_items)
    cfg = parse_config({"data": {"interactions": {"path": "x.csv", "format": "csv"}},
                        "memory_gb": memory_gb}, "c.yaml")
    from recdistill.data.types import Dataset, IdMap

    ds = Dataset("t", IdMap([str(u) for u in range(50)]), IdMap([str(i) for i in range(n_items)]),
                 table, [""] * n_items, [str(i) for i in range(n_items)], [""] * n_items)
    split = make_split(table, cfg.split)
    run = RunFolder.create(tmp_path)
    return Stage(cfg, ds, split, run_options(cfg, tmp_path), run, Plan.start(budget))


def test_fit_plan_skips_what_does_not_fit_memory_and_shrinks_grids_to_fit_time(
    tmp_path: Path,
) -> None:
    from recdistill.specs import model_spec
    from recdistill.stages.baselines import fit_plan

    stage = _stage(tmp_path, 2_000, "20m", memory_gb=0.02)  # 20 MB: EASE's 3 x 2000^2 x 8 B
    specs = [model_spec("popularity"), model_spec("ease", grid={"l2": [10.0, 100.0]})]
    planned = dict((s.label, p) for s, p in fit_plan(stage, specs, allowed=100.0))
    assert set(planned) == {"popularity"}
    assert any(n["subject"] == "ease" and n["action"] == "skipped" for n in stage.plan.notes)

    stage = _stage(tmp_path, 2_000, "20m", memory_gb=None)
    grid = {"factors": [8, 16], "regularization": [0.1, 1.0], "alpha": [1.0, 5.0]}
    specs = [model_spec("ials", params={"iterations": 2}, grid=grid)]
    full = fit_plan(stage, specs, allowed=None)[0][1]
    tight = fit_plan(stage, specs, allowed=1e-4)
    assert len(full) == 8
    assert not tight or len(tight[0][1]) < 8  # halved until it fits, or skipped
    assert any(n["subject"] == "ials" for n in stage.plan.notes)


def test_a_measured_estimate_takes_its_share_from_the_teacher_and_a_transfer_moves_it() -> None:
    names = ["teacher", "teacher_cache", "baselines", "students", "report"]
    plan = Plan(1000.0)
    plan.lay_out(names)
    before = {n: r.planned_s or 0.0 for n, r in plan.stages.items()}
    plan.expect("teacher_cache", 200.0)
    after = {n: r.planned_s or 0.0 for n, r in plan.stages.items()}
    assert after["teacher_cache"] == pytest.approx(200.0, rel=0.02)
    assert after["teacher"] == pytest.approx(
        before["teacher"] - (200.0 - before["teacher_cache"]), rel=0.02
    )
    # the others keep theirs (up to the clock: the plan spreads what is left *now*)
    assert after["students"] == pytest.approx(before["students"], rel=0.01)
    assert plan.stages["students"].share == SHARES["students"]
    assert any(n["action"] == "share raised" for n in plan.notes)
    plan.expect("teacher_cache", 1e9)  # more than can be given: the teacher keeps 30%
    assert plan.stages["teacher"].share == pytest.approx(0.30)
    cache_share = plan.stages["teacher_cache"].share
    plan.transfer("teacher_cache", "students")
    assert plan.stages["teacher_cache"].share == 0.0
    assert plan.stages["students"].share == pytest.approx(SHARES["students"] + cache_share)


def test_a_cache_that_cannot_fit_its_share_is_replaced_by_online_scoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recdistill.config import DistillConfig
    from recdistill.stages import students

    for estimate, mode in [(1.0, "cache"), (1e6, "online")]:
        stage = _stage(tmp_path / mode, 200, "20m", memory_gb=None)
        stage.plan.lay_out(["teacher", "teacher_cache", "baselines", "students", "report"])
        monkeypatch.setattr(students, "scoring_seconds", lambda *a, s=estimate, **k: s)
        cfg = students.plan_cache(stage, DistillConfig())
        assert cfg.teacher_outputs == mode
        replaced = [n for n in stage.plan.notes if n["action"] == "replaced by online scoring"]
        assert bool(replaced) == (mode == "online")
    # with no budget there is nothing to plan: the configured mode stays
    stage = _stage(tmp_path / "none", 200, None, memory_gb=None)
    assert students.plan_cache(stage, DistillConfig()).teacher_outputs == "cache"


def test_the_cache_estimate_grows_with_positions_times_items() -> None:
    from recdistill.distill.teacher_cache import scoring_seconds

    small = scoring_seconds(20_000, 4_000)
    large = scoring_seconds(2_000_000, 4_000)
    assert small > 0
    assert 30 < large / small < 300  # 100x the positions (timing noise aside)


def test_baselines_stop_once_their_share_is_spent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recdistill.specs import model_spec
    from recdistill.stages import baselines

    stage = _stage(tmp_path, 200, "2s", memory_gb=None)
    stage.plan.lay_out(["baselines", "report"])
    specs = [model_spec("popularity", name=f"pop{i}") for i in range(3)]
    monkeypatch.setattr(stage.cfg, "baselines", specs)
    # estimates that are far too short: every baseline planned, each taking 1.5 s
    planned = lambda st, sp, al: [(s, s.grid_points()) for s in sp]  # noqa: E731
    monkeypatch.setattr(baselines, "fit_plan", planned)

    def slow(*args: Any, **kwargs: Any) -> tuple[None, dict[str, Any]]:
        time.sleep(1.5)
        return None, {"role": "baseline"}

    monkeypatch.setattr(baselines, "fit_select_test", slow)
    results = baselines.run(stage, set())
    assert list(results) == ["pop0"]  # the first overran the ~1.1 s share: the rest skipped
    skipped = [n["subject"] for n in stage.plan.notes if n["action"] == "skipped"]
    assert skipped == ["pop1", "pop2"]


def test_online_scoring_is_not_chosen_when_a_student_reads_longer_histories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recdistill.config import DistillConfig
    from recdistill.specs import model_spec
    from recdistill.stages import students

    stage = _stage(tmp_path, 200, "20m", memory_gb=None)
    stage.plan.lay_out(["teacher", "teacher_cache", "baselines", "students", "report"])
    monkeypatch.setattr(students, "scoring_seconds", lambda *a, **k: 1e6)
    long = model_spec("twotower", name="s", params={"d_model": 8, "max_len": 500})
    cfg = students.plan_cache(stage, DistillConfig(students=[long]))
    assert cfg.teacher_outputs == "cache"  # the teacher's max_len comes from the data: < 500
    assert any(n["action"] == "kept over its share" for n in stage.plan.notes)


def test_item_content_is_embedded_before_the_teacher_and_timed_as_its_own_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recdistill.images
    import recdistill.text
    from recdistill.specs import model_spec
    from recdistill.stages import content

    stage = _stage(tmp_path, 40, "20m", memory_gb=None)
    stage.ds.item_text[:] = [f"极光 X{i} 智能手机 午夜蓝" for i in range(40)]
    stage.ds.item_image[:] = [f"/img/{i}.png" if i % 2 else "" for i in range(40)]
    stage.plan.lay_out(["item_content", "teacher", "report"])
    calls: list[tuple[str, str]] = []

    def fake_text(texts: list[str], encoder: str, cache_dir: Any, progress: bool) -> None:
        time.sleep(0.3)  # what encoding costs: recorded as this stage's, not the teacher's
        calls.append(("text", encoder))

    def fake_image(paths: list[Any], encoder: str, cache_dir: Any, progress: bool) -> None:
        assert paths[0] is None and paths[1] == "/img/1.png"  # no picture: None
        calls.append(("image", encoder))

    monkeypatch.setattr(recdistill.text, "item_embeddings", fake_text)
    monkeypatch.setattr(recdistill.images, "image_embeddings", fake_image)
    spec = model_spec("sasrec", params={"text": {"encoder": "auto"},
                                        "image": {"encoder": "efficientnet-lite0"}})
    before = stage.plan.allowance("teacher")
    content.run(stage, spec)
    assert calls == [("text", "e5"), ("image", "efficientnet-lite0")]  # auto read Chinese
    took = stage.plan.stages["item_content"].seconds
    assert took is not None and took >= 0.3
    assert stage.plan.allowance("teacher") < before  # the teacher's share of what is left
    # A teacher without content embeds nothing and records no stage.
    calls.clear()
    content.run(stage, model_spec("sasrec"))
    content.run(stage, None)
    assert calls == []


def test_default_teacher_reads_images_only_when_embedding_them_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recdistill.stages import defaults

    monkeypatch.setenv("RECDISTILL_CACHE", str(tmp_path / "cache"))
    stage = _stage(tmp_path / "run", 40, "20m", memory_gb=None)
    assert defaults.image_encoder(stage, 100.0) == "none"  # no image column
    for i in range(40):
        (tmp_path / f"{i}.png").write_bytes(b"picture %d" % i)  # distinct contents
    stage.ds.item_image[:] = [str(tmp_path / f"{i}.png") for i in range(40)]
    assert defaults.image_encoder(stage, None) == "efficientnet-lite0"  # no budget
    # 40 images at IMAGES_PER_SECOND need ~0.9 s: they fit a quarter of 100 s, not of 2 s.
    assert defaults.image_encoder(stage, 100.0) == "efficientnet-lite0"
    assert defaults.image_encoder(stage, 2.0) == "none"
    assert [n["action"] for n in stage.plan.notes] == ["item images skipped"]
    spec = defaults.default_teacher(stage, 100.0)
    assert spec.params.image.encoder == "efficientnet-lite0"  # type: ignore[attr-defined]
