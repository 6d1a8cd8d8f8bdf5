"""Serving: the tiny run folder the serve tests share, and unit tests of the parts.

:func:`tiny_run` writes a run folder with the real pipeline on a small
generated dataset (a few seconds): a SASRec teacher, popularity and ItemKNN
baselines, plus a ``student`` entry (the ItemKNN artifact under role
``student``, kd ``listwise``) so the student slot is exercised while the
pipeline's own students are built elsewhere.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from recdistill.errors import UserError
from recdistill.models.base import top_k, top_row
from recdistill.serve.cache import Entry, ResultCache
from recdistill.serve.catalogue import Catalogue
from recdistill.serve.fastpath import parse_query
from recdistill.serve.registry import choose
from recdistill.serve.service import ServeError
from recdistill.serve.state import Users
from recdistill.serve.store import StoredEvent

TOKEN = "test-token-0123456789"


@cache
def _built(root: str) -> Path:
    from recdistill.data.demo import write_demo

    base = Path(root)
    inter, items = write_demo(base / "src", seed=1, n_users=150, n_items=300)
    return build_tiny_run(base, inter, items, "tiny-shop")


def build_tiny_run(base: Path, inter: Path, items: Path, name: str) -> Path:
    """``base/run``: a 2-epoch d=16 teacher, popularity and itemknn, and a student slot
    (itemknn, listwise) over the CSV log ``inter`` and catalogue ``items``."""
    from recdistill.config import load_config
    from recdistill.pipeline import run_pipeline

    tree = {
        "data": {
            "name": name,
            "interactions": {"path": str(inter), "format": "csv", "time": "timestamp"},
            "items": {
                "path": str(items),
                "format": "csv",
                "text": ["title", "category"],
                "category": "category",
            },
        },
        "evaluation": {"k": [10], "latency_users": 10},
        "teacher": {
            "kind": "sasrec",
            "name": "teacher",
            "params": {"d_model": 16, "n_heads": 1, "n_layers": 1, "max_len": 20, "epochs": 2},
        },
        "baselines": [{"kind": "popularity"}, {"kind": "itemknn"}],
        "distill": None,
    }
    cfg = base / "run.yaml"
    cfg.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    out = base / "run"
    run_pipeline(load_config(cfg, []), out)
    add_student(out, "student", source="itemknn", kd="listwise")
    return out


def add_student(run: Path, name: str, *, source: str, kd: str | None, ndcg: float = 0.5) -> None:
    """Copy model ``source`` to ``name`` and list it in metrics.json with role student."""
    shutil.copytree(run / "models" / source, run / "models" / name, dirs_exist_ok=True)
    doc = json.loads((run / "metrics.json").read_text())
    entry = dict(doc["models"][source])
    entry.update(role="student", kd=kd, val_metrics={"ndcg@10": ndcg})
    doc["models"][name] = entry
    (run / "metrics.json").write_text(json.dumps(doc), encoding="utf-8")


def tiny_run(tmp_path_factory: pytest.TempPathFactory, dest: Path) -> Path:
    """A fresh copy of the shared tiny run folder at ``dest`` (built once per session)."""
    root = tmp_path_factory.getbasetemp() / "serve-tiny-run"
    src = _built(str(root))
    shutil.copytree(src, dest)
    return dest


@pytest.fixture
def run_dir(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return tiny_run(tmp_path_factory, tmp_path / "run")


# -- which model serves ------------------------------------------------------------


def _m(role: str, kd: str | None = None, val: float | None = None) -> dict[str, object]:
    return {"role": role, "kd": kd, "val_metrics": {"ndcg@10": val} if val is not None else {}}


def test_choose_prefers_a_distilled_student_then_validation_ndcg() -> None:
    models = {
        "teacher": _m("teacher", val=0.3),
        "s_scratch": _m("student", None, 0.29),
        "s_kd_a": _m("student", "soft", 0.20),
        "s_kd_b": _m("student", "listwise", 0.25),
        "ease": _m("baseline", val=0.4),
    }
    student, teacher, note = choose(models, sorted(models), None)
    assert (student, teacher, note) == ("s_kd_b", "teacher", None)


def test_choose_falls_back_to_best_non_teacher_and_says_so() -> None:
    models = {"teacher": _m("teacher", val=0.3), "ease": _m("baseline", val=0.2),
              "pop": _m("baseline", val=0.1)}
    student, teacher, note = choose(models, sorted(models), None)
    assert (student, teacher) == ("ease", "teacher")
    assert note is not None and "no student" in note and "'ease'" in note


def test_choose_override_and_unknown_override() -> None:
    models = {"teacher": _m("teacher"), "s": _m("student", "soft"), "pop": _m("baseline")}
    assert choose(models, sorted(models), "pop")[0] == "pop"
    with pytest.raises(UserError, match="no saved model 'nope'"):
        choose(models, sorted(models), "nope")
    # Saved artifacts missing from metrics.json are not candidates for the student slot.
    assert choose(models, ["pop", "teacher"], None)[0] == "pop"


# -- ranking helpers -----------------------------------------------------------------


def test_one_row_ranking_matches_the_batched_top_k() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        scores = rng.integers(0, 5, size=(2, 50)).astype(np.float32)  # many ties
        scores[0, rng.choice(50, 10, replace=False)] = -np.inf
        for k in (1, 10, 45, 60):
            ref_ids, ref_vals = top_k(scores.copy(), k)  # the batched path (2 rows)
            one_ids, one_vals = top_k(scores[:1].copy(), k)  # the one-row path
            assert one_ids.tolist() == ref_ids[:1].tolist()
            np.testing.assert_array_equal(one_vals, ref_vals[:1])
            ids, vals = top_row(scores[0].copy(), k)  # the same, -inf entries dropped
            keep = ref_ids[0] >= 0
            assert ids.tolist() == ref_ids[0][keep].tolist()
            assert np.allclose(vals, ref_vals[0][keep])


def test_result_cache_is_keyed_by_history_length_and_bounded() -> None:
    c = ResultCache(2)
    e = Entry(3, np.arange(3, dtype=np.int32), np.ones(3, np.float32), True)
    c.put(("student", 1, True), e)
    assert c.get(("student", 1, True), 3) is e
    assert c.get(("student", 1, True), 4) is None  # the user has a new event
    c.put(("student", 2, True), e)
    c.put(("student", 3, True), e)
    assert len(c) == 2 and c.get(("student", 1, True), 3) is None
    assert ResultCache(0).get(("student", 1, True), 3) is None


# -- users and events ----------------------------------------------------------------


def _catalogue() -> Catalogue:
    return Catalogue.from_dataset(
        {"items": ["a", "b", "c"], "titles": ["A", "B", "C"],
         "categories": ["X > Y", "X", "Z"]}
    )


def _ev(seq: int, user: str, item: str) -> StoredEvent:
    return StoredEvent(seq, f"e{seq}", user, item, seq)


def test_users_apply_each_event_once_in_seq_order() -> None:
    users = Users(["u0"], np.array([0], np.int32), np.array([0, 1]), np.zeros(3, np.int64))
    cat = _catalogue()
    assert users.apply([_ev(1, "u0", "b"), _ev(3, "new", "c")], cat) == 2
    # A second read that overlaps the first (two threads catching up): only seq 4 is new.
    assert users.apply([_ev(1, "u0", "b"), _ev(3, "new", "c"), _ev(4, "u0", "c")], cat) == 1
    assert users.last_seq == 4
    assert users.history(0).tolist() == [0, 1, 2]
    assert users.history(users.index["new"]).tolist() == [2]
    assert users.counts.tolist() == [0, 1, 2]
    assert users.model_user(0, 1) == -1  # live events: the model folds the history in
    assert users.length(0) == 3


def test_users_skip_events_of_items_not_in_the_catalogue() -> None:
    users = Users([], np.zeros(0, np.int32), np.zeros(1, np.int64), np.zeros(3, np.int64))
    assert users.apply([_ev(1, "u", "gone")], _catalogue()) == 0
    assert users.skipped == {"gone": 1} and users.last_seq == 1


def test_catalogue_category_filter_and_search() -> None:
    cat = _catalogue()
    assert cat.allowed("x").tolist() == [0, 1]  # whole path segments, case-insensitive
    assert cat.allowed("X > Y").tolist() == [0]
    assert cat.outside("nothing") is None
    assert cat.search("b", 5) == [1]


# -- request parsing -----------------------------------------------------------------


def test_parse_query_defaults_and_bounds() -> None:
    q = parse_query(b"")
    assert (q.k, q.model, tuple(q.exclude), q.category, q.exclude_seen) == (
        10, "student", (), None, True)
    q = parse_query(b"k=5&model=teacher&exclude=a&exclude=b%20c&category=X&exclude_seen=false")
    assert (q.k, q.model, tuple(q.exclude), q.category, q.exclude_seen) == (
        5, "teacher", ("a", "b c"), "X", False)
    for bad, field in [(b"k=0", "k:"), (b"k=101", "k:"), (b"k=ten", "k:"),
                       (b"model=big", "model:"), (b"exclude_seen=maybe", "exclude_seen:")]:
        with pytest.raises(ServeError) as err:
            parse_query(bad)
        assert err.value.status == 422 and err.value.message.startswith(field)


# -- batching ------------------------------------------------------------------------


def test_batcher_scores_concurrent_requests_together_and_exactly() -> None:
    import threading

    from recdistill.models.base import Histories
    from recdistill.serve.batcher import Batcher

    calls: list[int] = []
    gate = threading.Event()

    def score(batch: Histories) -> np.ndarray:
        gate.wait(5)  # hold the first call so the others queue up behind it
        calls.append(len(batch))
        out = np.zeros((len(batch), 5), np.float32)
        for b in range(len(batch)):
            out[b, batch.row(b)] = 1.0 + batch.users[b]
        return out

    batcher = Batcher(score, "test", max_batch=8)
    futures = [batcher.submit(np.array([i % 5], np.int32), i) for i in range(10)]
    gate.set()
    rows = [f.result(timeout=5) for f in futures]
    for i, row in enumerate(rows):
        assert row.tolist() == [1.0 + i if j == i % 5 else 0.0 for j in range(5)]
    assert sum(calls) == 10 and max(calls) > 1 and all(c <= 8 for c in calls)
    batcher.close()


def test_batcher_hands_failures_to_every_waiting_request() -> None:
    from recdistill.serve.batcher import Batcher

    def broken(batch: object) -> np.ndarray:
        raise RuntimeError("model exploded")

    batcher = Batcher(broken, "broken")
    future = batcher.submit(np.array([0], np.int32), -1)
    with pytest.raises(RuntimeError, match="exploded"):
        future.result(timeout=5)
    batcher.close()


def test_api_token_from_environment_then_run_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recdistill.serve.options import TOKEN_ENV, api_token

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert api_token(tmp_path) is None  # no config.json: writes stay off
    secret = tmp_path / "token.txt"
    secret.write_text("from-file\n")
    (tmp_path / "config.json").write_text(json.dumps({"serve": {"token_file": str(secret)}}))
    assert api_token(tmp_path) == "from-file"
    (tmp_path / "config.json").write_text(json.dumps({"serve": {"token": " inline "}}))
    assert api_token(tmp_path) == "inline"
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert api_token(tmp_path) == "from-env"  # the environment wins
    monkeypatch.delenv(TOKEN_ENV)
    (tmp_path / "config.json").write_text(json.dumps({"serve": {"token_file": "/nope/x"}}))
    with pytest.raises(UserError, match="token_file"):
        api_token(tmp_path)


def test_one_row_top_k_is_exact_with_ties_to_the_lower_index() -> None:
    rng = np.random.default_rng(1)
    for trial in range(40):
        n = int(rng.integers(1, 3000))
        scores = rng.integers(0, 6 if trial % 2 else 1000, size=n).astype(np.float32)
        scores[rng.random(n) < rng.random()] = -np.inf  # from a few to nearly all masked
        for k in (1, 10, 100):
            order = np.lexsort((np.arange(n), -scores))[:k]  # the definition, by full sort
            want = np.where(scores[order] == -np.inf, -1, order)
            ids, vals = top_k(scores[None, :].copy(), k)  # the one-row path
            assert ids[0].tolist() == want.tolist(), (n, k)
            np.testing.assert_array_equal(vals[0], scores[order])
            batch = np.stack([scores, rng.permutation(scores)])
            ids, vals = top_k(batch, k)  # the batched path
            assert ids[0].tolist() == want.tolist(), (n, k)
            np.testing.assert_array_equal(vals[0], scores[order])


def test_top_row_kernel_matches_the_definition() -> None:
    """The compiled one-row top-k: ties to the lower index, -inf and NaN never returned,
    the row's own dtype compared, ascending and descending rows (its heap's extremes)."""
    rng = np.random.default_rng(2)
    rows = [np.arange(500, dtype=np.float32), np.arange(500, dtype=np.float32)[::-1].copy(),
            np.full(300, 2.0, np.float32), np.array([np.nan, 1.0, np.nan, 1.0], np.float32),
            rng.integers(0, 4, 2000).astype(np.float64)]  # fmt: skip
    for _ in range(30):
        row = rng.integers(0, 50, int(rng.integers(1, 1500))).astype(np.float32)
        row[rng.random(row.size) < 0.3] = -np.inf
        rows.append(row)
    for row in rows:
        finite = np.flatnonzero(np.isfinite(row))
        order = finite[np.lexsort((finite, -row[finite]))]  # the definition, by full sort
        for k in (1, 10, 100, 3000):
            ids, vals = top_row(row.copy(), k)
            assert ids.tolist() == order[:k].tolist(), (row.size, k)
            assert vals.dtype == np.float32 and np.array_equal(vals, row[order[:k]])
