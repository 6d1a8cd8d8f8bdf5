"""The distiller: the teacher cache (exactness, memory bound, reuse) and students learning
from a teacher (a planted pattern where distillation beats training from scratch)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from recdistill.data.types import Interactions
from recdistill.distill import Distillation, KDInputs, build_teacher_cache
from recdistill.distill import teacher_cache as cache_module
from recdistill.errors import ConfigError
from recdistill.models import FitOptions, Histories, SASRec, TrainData, build_model
from recdistill.models import sasrec as sasrec_module
from recdistill.models._sequences import IGNORE, make_windows, pack
from recdistill.models.base import mask_scores, top_k

OPTS = FitOptions(seed=0, threads=1, progress=False, precision="fp32")  # bf16: test_train
TEACHER: dict[str, Any] = {
    "lr_schedule": "constant",  # the planted-pattern thresholds assume a flat rate
    "warmup": 0.0,
    "d_model": 32,
    "n_heads": 2,
    "n_layers": 1,
    "max_len": 12,
    "batch_size": 32,
    "epochs": 12,
    "patience": 0,
    "dropout": 0.1,
    "lr": 0.01,
}


def table_of(rows: list[list[int]], n_items: int) -> Interactions:
    user = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    item = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows])
    return Interactions.build(user, item, np.arange(len(user)), len(rows), n_items)


def walks(n_users: int = 60, n_items: int = 40, seed: int = 0) -> TrainData:
    """Users walk i -> i+1 with long histories (several windows per user at max_len 12)."""
    rng = np.random.default_rng(seed)
    rows = [
        ((rng.integers(0, n_items) + np.arange(rng.integers(4, 30))) % n_items).tolist()
        for _ in range(n_users)
    ]
    return TrainData(table_of(rows, n_items))


@pytest.fixture(scope="module")
def fitted() -> tuple[TrainData, SASRec]:
    data = walks()
    teacher = build_model("sasrec", TEACHER).fit(data, OPTS)
    assert isinstance(teacher, SASRec)
    return data, teacher


def test_cache_holds_the_teachers_exact_top_m_without_history(
    fitted: tuple[TrainData, SASRec], tmp_path: Path
) -> None:
    data, teacher = fitted
    cache = build_teacher_cache(teacher, data, tmp_path / "c", m=7, progress=False)
    assert cache.n_positions == len(data.interactions) and cache.m == 7
    # The same positions scored in one pass from the full logits.
    net = teacher.require_net().eval()
    windows = make_windows(data.interactions.item, data.indptr, net.max_len, True)
    batch = pack(windows, np.arange(len(windows)), data.n_items, data.n_items + 1)
    mask = batch.targets != IGNORE
    with torch.no_grad():
        table = net.items()
        logits = net.encode(net.embed(batch.inputs, table))[mask] @ table.T
    index = batch.index[mask]
    seen = torch.from_numpy(
        cache_module.history_mask(index.numpy(), data.interactions.item, data.indptr, data.n_items)
    )
    ref = KDInputs.from_teacher_logits(logits, batch.targets[mask], logits, 7, seen=seen)
    ids, top, lse = cache.lookup(index)
    np.testing.assert_array_equal(ids.numpy(), ref.teacher_top_ids.numpy())
    np.testing.assert_allclose(top.numpy(), ref.teacher_top_logits.numpy(), atol=2e-2)
    np.testing.assert_allclose(lse.numpy(), ref.teacher_logsumexp.numpy(), atol=1e-4)
    # History items never appear in a position's top-M; the user's first item sees none.
    items, indptr = data.interactions.item, data.indptr
    for p in [0, 5, int(indptr[3]) + 9, len(items) - 1]:
        u = int(np.searchsorted(indptr, p, side="right") - 1)
        history = set(items[indptr[u] : p].tolist())
        row = cache.lookup(torch.tensor([p]))[0][0].tolist()
        assert not history & set(row)


def test_cache_of_an_ensemble_teacher_holds_its_mean_log_probabilities(tmp_path: Path) -> None:
    data = walks(n_users=30)
    teacher = build_model("sasrec", {**TEACHER, "epochs": 2, "ensemble": 2}).fit(data, OPTS)
    assert isinstance(teacher, SASRec) and len(teacher.members) == 2
    cache = build_teacher_cache(teacher, data, tmp_path / "c", m=5, progress=False)
    # A user's last position, scored through the model's own ensemble path.
    u = 3
    lo, hi = int(data.indptr[u]), int(data.indptr[u + 1])
    prefix = data.interactions.item[lo : hi - 1]
    scores = teacher.score(Histories.from_lists([prefix.tolist()]))[0]
    full_lse = float(torch.logsumexp(torch.from_numpy(scores), dim=0))
    scores[prefix] = -np.inf
    ids, logits, lse = cache.lookup(torch.tensor([hi - 1]))
    assert float(lse[0]) == pytest.approx(full_lse, abs=1e-4)
    np.testing.assert_array_equal(ids[0].numpy(), np.argsort(-scores, kind="stable")[:5])
    np.testing.assert_allclose(logits[0].numpy(), np.sort(scores)[::-1][:5], atol=2e-2)


def test_history_mask_marks_exactly_the_prefix() -> None:
    items = np.array([3, 1, 4, 1, 5, 9, 2])
    indptr = np.array([0, 4, 4, 7])  # user 0: 3 1 4 1; user 1: none; user 2: 5 9 2
    mask = cache_module.history_mask(np.array([0, 2, 3, 4, 6]), items, indptr, 10)
    assert [np.flatnonzero(r).tolist() for r in mask] == [[], [1, 3], [1, 3, 4], [], [5, 9]]


def test_cache_generation_is_memory_bounded_and_reused(
    fitted: tuple[TrainData, SASRec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, teacher = fitted
    memory_mb = 40 * 3 * 4 * data.n_items / 2**20  # room for 40 positions' logits
    budget = cache_module.chunk_positions(data.n_items, memory_mb)
    assert budget == 40
    seen: list[int] = []
    real = cache_module._score_rows

    def spy(members: Any, windows: Any, rows: np.ndarray, *args: Any) -> None:
        seen.append(int(windows.length[rows].sum()))
        real(members, windows, rows, *args)

    monkeypatch.setattr(cache_module, "_score_rows", spy)
    folder = tmp_path / "c"
    cache = build_teacher_cache(teacher, data, folder, m=5, memory_mb=memory_mb, progress=False)
    longest = TEACHER["max_len"] + 1
    assert len(seen) > 3 and max(seen) <= max(budget, longest)
    assert sum(seen) == len(data.interactions)
    # Opened as memory maps: training reads one batch's rows, never the whole store.
    assert all(isinstance(a, np.memmap) for a in (cache.top_ids, cache.top_logits, cache.lse))
    assert cache.nbytes == len(data.interactions) * 5 * (4 + 2) + len(data.interactions) * 4
    # Same teacher, data and M: reused without scoring again.
    seen.clear()
    again = build_teacher_cache(teacher, data, folder, m=5, progress=False)
    assert seen == [] and again.key == cache.key
    # Another M (or another teacher) rebuilds.
    build_teacher_cache(teacher, data, folder, m=6, progress=False)
    assert seen


N_CLUSTERS, CLUSTER, HISTORY = 4, 60, 6


def fake_text_table(texts: list[str], encoder: str, progress: bool) -> tuple[np.ndarray, int]:
    """Stand-in for the language model: the cluster named in the text, as a direction."""
    rng = np.random.default_rng(0)
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for i, t in enumerate(texts):
        out[i, int(t.split()[1])] = 1.0
    out += 0.05 * rng.standard_normal(out.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True), 1


def browse(n_users: int, rng: np.random.Generator) -> tuple[list[list[int]], list[int]]:
    """User ``u`` browses ``HISTORY + 1`` random items of cluster ``u % N_CLUSTERS``."""
    rows, held = [], []
    for u in range(n_users):
        seq = (u % N_CLUSTERS * CLUSTER + rng.permutation(CLUSTER)[: HISTORY + 1]).tolist()
        rows.append(seq[:-1])
        held.append(seq[-1])
    return rows, held


def planted() -> tuple[TrainData, Histories, np.ndarray]:
    """240 items in 4 clusters; 80 training users see about 2 events per item.

    Items' texts name their cluster. The ground truth alone teaches a small
    ID-only student the clusters poorly; the text-aware teacher knows them and
    passes whole clusters on as soft targets. Evaluated on 400 new users'
    histories (given at request time).
    """
    rng = np.random.default_rng(0)
    rows, _ = browse(80, rng)
    texts = [f"cluster {i // CLUSTER} item {i}" for i in range(N_CLUSTERS * CLUSTER)]
    data = TrainData(table_of(rows, N_CLUSTERS * CLUSTER), texts)
    eval_rows, held = browse(400, rng)
    return data, Histories.from_lists(eval_rows), np.array(held)


def hit_rate(model: Any, hist: Histories, truth: np.ndarray, k: int = 10) -> float:
    ids, _ = top_k(mask_scores(model.score(hist), hist), k)
    return float((ids == truth[:, None]).any(axis=1).mean())


def cluster_precision(model: Any, hist: Histories, k: int = 10) -> float:
    """Share of the top-k in the user's own cluster (1.0: the clusters are learned)."""
    ids, _ = top_k(mask_scores(model.score(hist), hist), k)
    own = (np.arange(len(ids)) % N_CLUSTERS)[:, None]
    return float((ids // CLUSTER == own).mean())


@pytest.mark.parametrize("source", ["cache", "online"])
def test_distillation_beats_scratch_on_a_planted_pattern(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sasrec_module, "text_table", fake_text_table)
    data, hist, truth = planted()
    teacher_params = {**TEACHER, "epochs": 60, "lr": 0.003, "text": {"encoder": "minilm"}}
    teacher = build_model("sasrec", teacher_params).fit(data, OPTS)
    assert isinstance(teacher, SASRec)
    student = {**TEACHER, "d_model": 8, "n_heads": 1, "epochs": 30}
    scratch = build_model("sasrec", student).fit(data, OPTS)
    cache = None
    if source == "cache":
        cache = build_teacher_cache(teacher, data, tmp_path / "c", m=40, progress=False)
    handle = Distillation({"methods": {"listwise": {}}, "alpha": 0.9}, teacher, cache, top_m=40)
    distilled = build_model("sasrec", student).fit(data, replace(OPTS, distill=handle))
    cp = {
        n: cluster_precision(m, hist) for n, m in [("t", teacher), ("s", scratch), ("d", distilled)]
    }
    assert cp["t"] >= cp["s"] + 0.1, f"the planted teacher should know the clusters: {cp}"
    assert cp["d"] >= cp["s"] + 0.08, f"distillation should pass the clusters on: {cp}"
    assert hit_rate(distilled, hist, truth) > hit_rate(scratch, hist, truth)
    # The student's artifact holds only its own network (nothing of the teacher or mixer).
    assert set(distilled.state()) == set(scratch.state())


def test_distilling_a_non_sequential_student_is_a_clear_error(
    fitted: tuple[TrainData, SASRec],
) -> None:
    data, teacher = fitted
    handle = Distillation({"methods": {"listwise": {}}}, teacher)
    with pytest.raises(ConfigError, match="offers no positions"):
        handle(object(), data)  # type: ignore[arg-type]
    model = build_model("sasrec", {**TEACHER, "max_len": 50, "epochs": 1})
    with pytest.raises(ConfigError, match="max_len"):
        model.fit(data, replace(OPTS, distill=handle))


@pytest.mark.parametrize(
    ("student", "calls"),
    [({"loss": "sampled", "n_negatives": 8}, True), ({"label_smoothing": 0.2}, False)],
)
def test_the_distiller_trains_with_the_students_own_loss(
    fitted: tuple[TrainData, SASRec],
    monkeypatch: pytest.MonkeyPatch,
    student: dict[str, Any],
    calls: bool,
) -> None:
    """KD adds to the loss the student would train with alone: its sampled softmax draws
    its negatives, its label smoothing is applied (not a plain full-softmax CE)."""
    from recdistill.models._seqmodel import SeqTrainer

    data, teacher = fitted
    seen: list[tuple[str, float]] = []
    real = SeqTrainer.position_loss

    def spy(self: SeqTrainer, *args: Any, **kwargs: Any) -> torch.Tensor:
        out = real(self, *args, **kwargs)
        seen.append((self.config.loss, self.config.label_smoothing))
        return out

    draws: list[int] = []
    real_draw = SeqTrainer.draw_negatives

    def draw(self: SeqTrainer) -> torch.Tensor:
        draws.append(1)
        return real_draw(self)

    monkeypatch.setattr(SeqTrainer, "position_loss", spy)
    monkeypatch.setattr(SeqTrainer, "draw_negatives", draw)
    handle = Distillation({"methods": {"listwise": {}}}, teacher, None, top_m=10)
    params = {"d_model": 8, "max_len": 12, "epochs": 1, "batch_size": 32, **student}
    build_model("twotower", params).fit(data, replace(OPTS, distill=handle))
    want = (params.get("loss", "full"), params.get("label_smoothing", 0.0))
    assert seen and set(seen) == {want}
    assert bool(draws) is calls


def kd_step(
    fitted: tuple[TrainData, SASRec],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    methods: dict[str, Any],
    rows: int,
    fused: bool | None = None,
    **student: Any,
) -> tuple[float, list[torch.Tensor]]:
    """One distillation step of a small SASRec student from the cached teacher, its
    positions in chunks of ``rows``: ``(loss, gradients of the student's parameters)``.
    ``fused`` forces the fused full form on or off (None: the distiller's choice)."""
    from recdistill.distill import distiller as distiller_module
    from recdistill.models._seqmodel import SeqTrainer
    from recdistill.train.device import Precision
    from recdistill.train.trainer import EpochContext

    data, teacher = fitted
    cache = build_teacher_cache(teacher, data, tmp_path / "c", m=10, progress=False)
    model = build_model("sasrec", {**TEACHER, "d_model": 8, "n_heads": 1, "dropout": 0.0,
                                   **student})  # fmt: skip
    model.n_users, model.n_items = data.n_users, data.n_items
    windows = make_windows(data.interactions.item, data.indptr, 12, True)
    torch.manual_seed(0)
    model.net = model.build_net(data.n_items)  # type: ignore[attr-defined]
    base = SeqTrainer(model, windows, data.interactions.item_counts(), torch.device("cpu"))
    kd = Distillation({"methods": methods, "alpha": 0.7}, teacher, cache)(base, data)
    if fused is not None:
        assert kd.fused  # type: ignore[attr-defined]  # the case under test is the default
        kd.fused = fused  # type: ignore[attr-defined]
    cpu = torch.device("cpu")
    ctx = EpochContext(0, 0, 0, 1, cpu, Precision(None, False), base.module, None)
    batch = kd.batches(ctx)[0]
    monkeypatch.setattr(distiller_module, "chunk_rows", lambda device, n: rows)
    loss, _ = kd.loss(base.module, batch)
    loss.backward()
    grads = [p.grad.clone() for p in base.module.parameters() if p.grad is not None]
    return float(loss.detach()), grads


def assert_same_step(
    got: tuple[float, list[torch.Tensor]], want: tuple[float, list[torch.Tensor]]
) -> None:
    assert got[0] == pytest.approx(want[0], rel=1e-5)
    assert len(got[1]) == len(want[1]) > 0
    for a, b in zip(got[1], want[1], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("methods", [{"listwise": {}}, {"listwise": {"temperature": 2.0}}])
def test_chunked_distillation_equals_one_chunk(
    fitted: tuple[TrainData, SASRec],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    methods: dict[str, Any],
) -> None:
    """Chunks of positions give the batch's loss and gradients of one ``N x I`` pass
    (the autograd form; the fused one is compared with it below)."""
    one = kd_step(fitted, monkeypatch, tmp_path, methods, 10**6, fused=False)
    assert_same_step(kd_step(fitted, monkeypatch, tmp_path, methods, 7, fused=False), one)


@pytest.mark.parametrize(
    ("methods", "smoothing"),
    [({"listwise": {}}, 0.0), ({"listwise": {"temperature": 2.0}}, 0.0), ({"listwise": {}}, 0.1)],
)
def test_the_fused_full_form_equals_autograd_over_the_logits(
    fitted: tuple[TrainData, SASRec],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    methods: dict[str, Any],
    smoothing: float,
) -> None:
    """A full-softmax student with a cached top-only recipe: the closed-form gradient
    of the logits gives autograd's loss and gradients, in chunks too."""
    args = (fitted, monkeypatch, tmp_path, methods)
    ref = kd_step(*args, 10**6, fused=False, label_smoothing=smoothing)
    for rows in (10**6, 7):
        assert_same_step(kd_step(*args, rows, fused=True, label_smoothing=smoothing), ref)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_the_students_loss_from_a_shared_logsumexp_equals_cross_entropy(smoothing: float) -> None:
    """The distiller hands the student the logsumexp it computed for the KD loss; the
    student's full-softmax loss from it equals torch's cross-entropy (label smoothing too)."""
    from types import SimpleNamespace

    from recdistill.models._seqmodel import SeqTrainer
    from recdistill.train.trainer import Positions

    g = torch.Generator().manual_seed(3)
    q, items = torch.randn(40, 8, generator=g), torch.randn(30, 8, generator=g)
    targets = torch.randint(0, 30, (40,), generator=g)
    pos = Positions(q, items, targets, torch.arange(40))
    fake = SimpleNamespace(config=SimpleNamespace(loss="full", label_smoothing=smoothing))
    logits = q @ items.T
    got = SeqTrainer.position_loss(fake, None, None, pos, logits, torch.logsumexp(logits, dim=1))  # type: ignore[arg-type]
    want = torch.nn.functional.cross_entropy(
        logits, targets, reduction="none", label_smoothing=smoothing
    )
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_in_rows_matches_a_direct_comparison() -> None:
    from recdistill.distill.distiller import in_rows

    g = torch.Generator().manual_seed(5)
    ids = torch.stack([torch.randperm(50, generator=g)[:7] for _ in range(20)])
    items = torch.randint(0, 50, (33,), generator=g)
    want = (items[None, :, None] == ids[:, None, :]).any(dim=2)
    assert torch.equal(in_rows(ids, items), want)
    assert want.any() and not want.all()


def _sampled_inputs(
    q: torch.Tensor, items: torch.Tensor, ids: torch.Tensor, negs: torch.Tensor, log_q: torch.Tensor
) -> KDInputs:
    from recdistill.distill.distiller import sampled_student

    g = torch.Generator().manual_seed(9)
    t_logits = torch.randn(q.shape[0], items.shape[0], generator=g)
    s_top, lse, rest = sampled_student(q, items, ids, negs, log_q)
    return KDInputs(
        student_logits=None,
        targets=ids[:, 0],
        teacher_top_ids=ids,
        teacher_top_logits=t_logits.gather(1, ids),
        teacher_logsumexp=torch.logsumexp(t_logits, dim=1),
        student_logsumexp=lse,
        student_top_logits=s_top,
        student_log_rest=rest,
        catalogue=items.shape[0],
    )


def test_the_sampled_form_with_every_item_drawn_once_is_the_full_listwise_loss() -> None:
    """Negatives = the whole catalogue at q = 1/I make the estimates exact: the sampled
    form's listwise loss and its gradients equal those from the full ``N x I`` logits."""
    from recdistill.distill import build_method

    g = torch.Generator().manual_seed(4)
    n, n_items, d = 24, 40, 8
    ids = torch.stack([torch.randperm(n_items, generator=g)[:6] for _ in range(n)])
    base_q, base_items = torch.randn(n, d, generator=g), torch.randn(n_items, d, generator=g)
    method = build_method("listwise", {})
    log_q = torch.full((n_items,), -math.log(n_items))

    def run(sampled: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        q, items = base_q.clone().requires_grad_(), base_items.clone().requires_grad_()
        inp = _sampled_inputs(q, items, ids, torch.arange(n_items), log_q)
        if not sampled:
            inp = replace(
                inp, student_logits=q @ items.T, student_logsumexp=None,
                student_top_logits=None, student_log_rest=None, catalogue=None,
            )  # fmt: skip
        inp.validate()
        loss = method(inp).mean()
        loss.backward()
        assert q.grad is not None and items.grad is not None
        return loss.detach(), q.grad, items.grad

    for a, b in zip(run(True), run(False), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_the_sampled_logsumexp_estimate_is_centred_on_the_exact_one() -> None:
    """Popularity-drawn negatives with the logQ weights estimate the student's normaliser
    without bias (the mean of exp(estimate) over many draws is the exact sum)."""
    from recdistill.distill.distiller import sampled_student

    g = torch.Generator().manual_seed(2)
    n, n_items, d = 8, 300, 8
    q, items = torch.randn(n, d, generator=g) * 0.3, torch.randn(n_items, d, generator=g)
    ids = torch.stack([torch.randperm(n_items, generator=g)[:10] for _ in range(n)])
    p = torch.rand(n_items, generator=g) + 0.1
    p = p / p.sum()
    draws = [
        sampled_student(q, items, ids, torch.multinomial(p, 64, True, generator=g), p.log())[1]
        for _ in range(1000)
    ]
    mean = torch.stack(draws).exp().mean(dim=0)
    exact = torch.logsumexp(q @ items.T, dim=1).exp()
    torch.testing.assert_close(mean, exact, rtol=0.03, atol=0.0)
    one = draws[0].exp()
    assert not torch.allclose(one, exact, rtol=1e-3), "a single draw should not be exact"


@pytest.mark.parametrize(("methods", "sampled"), [({"listwise": {}}, True), ({"rd": {}}, False)])
def test_a_sampled_student_distils_in_the_sampled_form(
    fitted: tuple[TrainData, SASRec],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    methods: dict[str, Any],
    sampled: bool,
) -> None:
    """A student with ``loss: sampled`` and a cached teacher trains without the
    ``N x I`` logits when the recipe allows it (listwise), and with them otherwise."""
    from recdistill.distill.distiller import KDTrainer

    data, teacher = fitted
    cache = build_teacher_cache(teacher, data, tmp_path / "c", m=10, progress=False)
    forms: list[bool] = []
    real_init = KDTrainer.__init__

    def spy_init(self: KDTrainer, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        forms.append(self.sampled)

    full_calls: list[int] = []
    real_chunk = KDTrainer._chunk_loss

    def spy_chunk(self: KDTrainer, *args: Any, **kwargs: Any) -> Any:
        full_calls.append(1)
        return real_chunk(self, *args, **kwargs)

    monkeypatch.setattr(KDTrainer, "__init__", spy_init)
    monkeypatch.setattr(KDTrainer, "_chunk_loss", spy_chunk)
    handle = Distillation({"methods": methods, "alpha": 0.5}, teacher, cache)
    params = {"d_model": 8, "max_len": 12, "epochs": 2, "batch_size": 32, "loss": "sampled",
              "n_negatives": 16, "negative_sampling": "popularity"}  # fmt: skip
    model = build_model("twotower", params).fit(data, replace(OPTS, distill=handle))
    assert forms == [sampled]
    assert bool(full_calls) is not sampled
    scores = model.score(Histories.from_lists([[1, 2, 3], [7, 8]]))
    assert scores.shape == (2, data.n_items) and np.isfinite(scores).all()
