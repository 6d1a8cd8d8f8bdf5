"""Distillation losses against hand-computed values on tiny cases, and planted transfer.

Hand values are direct numpy transcriptions of the formulas in docs/methods.md,
written independently of the implementation (loops, no shared helpers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

from recdistill.distill import METHODS, KDInputs, KDMixer, build_method
from recdistill.distill._ops import sample_outside_top, student_ranks
from recdistill.distill.cd import CDConfig, CollaborativeDistillation
from recdistill.distill.derrd import DERRD, DERRDConfig
from recdistill.distill.hint import Hint, HintConfig
from recdistill.distill.rd import RankingDistillation, RDConfig
from recdistill.errors import ConfigError

# N = 2 positions, I = 5 items.
S = np.array([[2.0, 1.0, 0.0, -1.0, 0.5], [0.0, 3.0, -2.0, 1.0, 1.0]])
T = np.array([[3.0, 0.5, 1.0, -1.0, 0.0], [-1.0, 2.0, 0.0, 2.5, 1.0]])
TARGETS = [0, 3]


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Tiny tensors: one intra-op thread is much faster than several contending."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max()
    return x - (m + math.log(np.exp(x - m).sum()))


def bce(p: float, q: float) -> float:
    return -(q * math.log(p) + (1 - q) * math.log(1 - p))


def teacher_top(row: np.ndarray, m: int, seen: set[int] | None = None) -> list[int]:
    order = [int(i) for i in np.argsort(-row, kind="stable") if int(i) not in (seen or set())]
    return order[:m]


def inputs(
    m: int,
    *,
    full: bool = False,
    s: np.ndarray = S,
    t: np.ndarray = T,
    seen: torch.Tensor | None = None,
    targets: list[int] = TARGETS,
    **extra: Any,
) -> KDInputs:
    student = torch.tensor(s, dtype=torch.float32, requires_grad=True)
    return KDInputs.from_teacher_logits(
        student,
        torch.tensor(targets),
        torch.tensor(t, dtype=torch.float32),
        m,
        seen=seen,
        keep_full=full,
        **extra,
    )


def close(x: torch.Tensor, expected: list[float]) -> None:
    np.testing.assert_allclose(x.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- soft


def test_soft_top_m_only_matches_hand_value() -> None:
    temp, m = 2.0, 3
    loss = build_method("soft", {"temperature": temp, "n_negatives": 0})(inputs(m))
    expected = []
    for n in range(2):
        items = teacher_top(T[n], m)
        terms = [bce(sigmoid(S[n, j] / temp), sigmoid(T[n, j] / temp)) for j in items]
        expected.append(temp**2 * sum(terms) / len(terms))
    close(loss, expected)


def test_soft_cached_negative_uses_tail_mean_and_online_uses_true_logit() -> None:
    # Row n: top-2 of the teacher, the target and one seen item leave exactly
    # one allowed negative, so sampling is deterministic.
    m = 2
    seen = torch.zeros(2, 5, dtype=torch.bool)
    seen[0, 4] = True  # row 0: top-2 {0, 2}, target 1, seen 4 -> negative 3
    seen[1, 0] = True  # row 1: top-2 {3, 1}, target 4, seen 0 -> negative 2
    targets = [1, 4]
    negative = [3, 2]
    for full in (False, True):
        inp = inputs(m, full=full, seen=seen, targets=targets)
        gen = torch.Generator().manual_seed(0)
        loss = build_method("soft", {"n_negatives": 3})(inp, gen)
        expected = []
        for n in range(2):
            top = teacher_top(T[n], m, {int(seen[n].nonzero()[0, 0])})
            lse = math.log(np.exp(T[n]).sum())
            if full:
                t_neg = T[n, negative[n]]
            else:
                rest = 1 - sum(math.exp(T[n, i] - lse) for i in top)
                t_neg = min(T[n, top[-1]], lse + math.log(rest / (5 - m)))
            terms = [bce(sigmoid(S[n, j]), sigmoid(T[n, j])) for j in top]
            terms += [bce(sigmoid(S[n, negative[n]]), sigmoid(t_neg))] * 3
            expected.append(sum(terms) / len(terms))
        close(loss, expected)


def test_negative_sampling_skips_top_target_seen_and_padding() -> None:
    torch.manual_seed(0)
    s = torch.randn(6, 30)
    s[:, 7] = float("-inf")  # a padding item
    seen = torch.rand(6, 30) < 0.3
    inp = KDInputs.from_teacher_logits(
        s, torch.arange(6), torch.randn(6, 30), 8, seen=seen, keep_full=False
    )
    ids, valid = sample_outside_top(inp, 200, torch.Generator().manual_seed(1))
    assert bool(valid.all())
    for n in range(6):
        banned = set(inp.teacher_top_ids[n].tolist()) | {n, 7}
        banned |= set(seen[n].nonzero().flatten().tolist())
        assert not banned & set(ids[n].tolist())


# ---------------------------------------------------------------- hard


def test_hard_is_mean_softmax_ce_over_teacher_top_k() -> None:
    loss = build_method("hard", {"k": 2})(inputs(3))
    expected = [-np.mean([log_softmax(S[n])[j] for j in teacher_top(T[n], 2)]) for n in range(2)]
    close(loss, expected)


def test_hard_needs_k_items_in_cache() -> None:
    with pytest.raises(ValueError, match=r"'hard'.*'k'.*top-3"):
        build_method("hard", {"k": 3})(inputs(2))


# ---------------------------------------------------------------- listwise


def kl(q: np.ndarray, r: np.ndarray) -> float:
    return float(sum(qi * math.log(qi / ri) for qi, ri in zip(q, r, strict=True) if qi > 0))


def test_listwise_exact_matches_hand_value() -> None:
    temp = 2.0
    loss = build_method("listwise", {"temperature": temp})(inputs(2, full=True))
    expected = [
        temp**2 * kl(np.exp(log_softmax(T[n] / temp)), np.exp(log_softmax(S[n] / temp)))
        for n in range(2)
    ]
    close(loss, expected)


def test_listwise_bucketed_matches_hand_value_and_bounds_exact() -> None:
    m = 2
    loss = build_method("listwise", {})(inputs(m))
    exact = build_method("listwise", {})(inputs(m, full=True))
    expected = []
    for n in range(2):
        top = teacher_top(T[n], m)
        q, r = np.exp(log_softmax(T[n])), np.exp(log_softmax(S[n]))
        qb = [q[i] for i in top] + [1 - sum(q[i] for i in top)]
        rb = [r[i] for i in top] + [1 - sum(r[i] for i in top)]
        expected.append(kl(np.array(qb), np.array(rb)))
    close(loss, expected)
    assert bool((loss <= exact + 1e-6).all())  # data-processing inequality at T = 1


@pytest.mark.parametrize("m", [4, 5])
@pytest.mark.parametrize("temp", [1.0, 3.0])
def test_listwise_bucketed_equals_exact_when_m_covers_catalogue(m: int, temp: float) -> None:
    method = build_method("listwise", {"temperature": temp})
    close(method(inputs(m)), method(inputs(m, full=True)).tolist())


@pytest.mark.parametrize("full", [False, True])
def test_listwise_is_zero_when_student_equals_teacher(full: bool) -> None:
    for temp in (1.0, 2.0):
        loss = build_method("listwise", {"temperature": temp})(inputs(2, full=full, s=T))
        close(loss, [0.0, 0.0])


# ---------------------------------------------------------------- rd


def test_rd_static_matches_hand_value_and_decays_with_rank() -> None:
    lam, k = 2.0, 3
    method = RankingDistillation(RDConfig(k=k, lam=lam, dynamic=False))
    inp = inputs(4)
    w_static = np.exp(-np.arange(1, k + 1) / lam)
    w_static /= w_static.sum()
    expected = [
        -sum(
            w * math.log(sigmoid(S[n, j]))
            for w, j in zip(w_static, teacher_top(T[n], k), strict=True)
        )
        for n in range(2)
    ]
    close(method(inp), expected)
    w = method.weights(inp)
    assert bool((w[:, :-1] > w[:, 1:]).all())


def test_rd_dynamic_matches_hand_value() -> None:
    lam, mu, k = 2.0, 0.7, 3
    method = RankingDistillation(RDConfig(k=k, lam=lam, mu=mu))
    expected = []
    for n in range(2):
        top = teacher_top(T[n], k)
        w = []
        for r, j in enumerate(top):  # r: teacher's 0-based rank
            rank_s = sum(1 for x in S[n] if x > S[n, j])
            w.append(math.exp(-(r + 1) / lam) * max(0.0, math.tanh(mu * (rank_s - r))))
        total = sum(w)
        expected.append(
            -sum(wi / total * math.log(sigmoid(S[n, j])) for wi, j in zip(w, top, strict=True))
        )
    close(method(inputs(4)), expected)


def test_rd_dynamic_raises_weight_of_under_ranked_items() -> None:
    t = np.array([[5.0, 4.0, 3.0, 0.0, 0.0, 0.0]])
    method = RankingDistillation(RDConfig(k=3, lam=1.0, mu=1.0))
    agree = inputs(3, s=np.array([[5.0, 4.0, 3.0, 0.0, 0.0, 0.0]]), t=t, targets=[5])
    under = inputs(3, s=np.array([[5.0, 4.0, -3.0, 0.0, 0.0, 0.0]]), t=t, targets=[5])
    w_agree = method.weights(agree)
    w_under = method.weights(under)
    # item 2 (teacher rank 2) is ranked last by the student: it gets all the weight
    assert float(w_under[0, 2]) > float(w_agree[0, 2])
    close(w_under[0], [0.0, 0.0, 1.0])
    close(w_agree[0], [0.0, 0.0, 0.0])  # perfect agreement: nothing to fix


def test_student_ranks_exact_and_paths_agree() -> None:
    torch.manual_seed(3)
    s = torch.randn(3, 50)
    seen = torch.rand(3, 50) < 0.2
    ids = torch.randint(0, 50, (3, 20))
    sort_path = student_ranks(s, ids, seen)  # K > 16: sort + searchsorted
    loop_path = torch.cat(
        [student_ranks(s, ids[:, :10], seen), student_ranks(s, ids[:, 10:], seen)], 1
    )
    assert torch.equal(sort_path, loop_path)
    masked = s.masked_fill(seen, float("-inf"))
    hand = [[int((masked[n] > s[n, j]).sum()) for j in ids[n]] for n in range(3)]
    assert sort_path.tolist() == hand


# ---------------------------------------------------------------- cd


def test_cd_all_items_matches_hand_value() -> None:
    b, tau, m = 0.5, 2.0, 3
    loss = build_method("cd", {"n_samples": 5, "bias": b, "tau": tau})(inputs(m))
    expected = [
        float(
            np.mean(
                [bce(sigmoid(S[n, j]), sigmoid((T[n, j] + b) / tau)) for j in teacher_top(T[n], m)]
            )
        )
        for n in range(2)
    ]
    close(loss, expected)


def test_cd_sampling_favours_teacher_top_and_discrepancy() -> None:
    method = CollaborativeDistillation(CDConfig(n_samples=2, tau_rank=1.0))
    inp = inputs(4)
    p = method.sampling_probs(inp)
    assert bool((p[:, :-1] > p[:, 1:]).all())
    close(p.sum(dim=1), [1.0, 1.0])
    gen = torch.Generator().manual_seed(0)
    counts = torch.zeros(4)
    for _ in range(300):
        cols = torch.multinomial(p, 2, replacement=False, generator=gen)
        counts += torch.bincount(cols.flatten(), minlength=4)
    assert counts[0] > counts[1] > counts[2] > counts[3]
    # discrepancy: row 0's teacher order is items [0, 2, 1, 4]; the student ranks
    # them 0, 3, 1, 2: only item 2 (teacher rank 1) is under-ranked, so it takes it all
    mixed = CollaborativeDistillation(CDConfig(n_samples=2, tau_rank=1.0, discrepancy_mix=1.0))
    q = mixed.sampling_probs(inp)
    close(q[0], [0.0, 1.0, 0.0, 0.0])
    close(q.sum(dim=1), [1.0, 1.0])
    loss = method(inp, gen)
    assert loss.shape == (2,) and bool(torch.isfinite(loss).all())


# ---------------------------------------------------------------- derrd


def rrd_hand(s: np.ndarray, interesting: list[int], unint: list[int]) -> float:
    k = len(interesting)
    total = 0.0
    for a in range(k):
        denom = sum(math.exp(s[j]) for j in interesting[a:]) + sum(math.exp(s[j]) for j in unint)
        total += s[interesting[a]] - math.log(denom)
    return -total / k


def test_rrd_without_uninteresting_matches_hand_value() -> None:
    method = build_method("derrd", {"de_weight": 0.0, "k": 3, "n_uninteresting": 0})
    expected = [rrd_hand(S[n], teacher_top(T[n], 3), []) for n in range(2)]
    close(method(inputs(4)), expected)


def test_rrd_with_uninteresting_matches_hand_value() -> None:
    # top-2, target and one seen item leave one allowed item: U = that item, L times
    seen = torch.zeros(2, 5, dtype=torch.bool)
    seen[0, 4] = True
    seen[1, 0] = True
    inp = inputs(2, seen=seen, targets=[1, 4])
    method = build_method(
        "derrd", {"de_weight": 0.0, "rrd_weight": 2.0, "k": 2, "n_uninteresting": 3}
    )
    loss = method(inp, torch.Generator().manual_seed(0))
    expected = [
        2.0 * rrd_hand(S[0], teacher_top(T[0], 2, {4}), [3] * 3),
        2.0 * rrd_hand(S[1], teacher_top(T[1], 2, {0}), [2] * 3),
    ]
    close(loss, expected)


def test_rrd_uninteresting_outside_top_k() -> None:
    # Teacher order [0, 2, 1, 4, 3], M = 4, K = 2, target 1, item 3 seen: outside
    # the top-4 nothing is allowed (U empty); outside the top-2 only item 4 is.
    t = np.array([[3.0, 1.0, 2.0, -1.0, 0.0]])  # order [0, 2, 1, 4, 3]
    s = np.array([[0.5, -0.5, 1.0, 0.2, -1.0]])
    seen = torch.tensor([[False, False, False, True, False]])  # item 3
    inp = inputs(4, s=s, t=t, seen=seen, targets=[1])  # top-4 = [0, 2, 1, 4]
    gen = torch.Generator().manual_seed(0)
    params = {"de_weight": 0.0, "k": 2, "n_uninteresting": 3}
    outside_m = build_method("derrd", params)(inp, gen)  # nothing allowed: U empty
    close(outside_m, [rrd_hand(s[0], [0, 2], [])])
    outside_k = build_method("derrd", {**params, "uninteresting_from": "outside_top_k"})
    close(outside_k(inp, gen), [rrd_hand(s[0], [0, 2], [4] * 3)])  # only item 4 allowed


def test_de_with_one_expert_is_squared_distance() -> None:
    torch.manual_seed(0)
    s_repr, t_repr = torch.randn(2, 3), torch.randn(2, 4)
    method = DERRD(
        DERRDConfig(de_weight=0.5, rrd_weight=0.0, n_experts=1), student_dim=3, teacher_dim=4
    )
    loss = method(inputs(2, student_repr=s_repr, teacher_repr=t_repr))
    mapped = method.experts[0](s_repr).detach().numpy()
    expected = [0.5 * float(((t_repr[n].numpy() - mapped[n]) ** 2).sum()) for n in range(2)]
    close(loss, expected)


def test_de_gate_anneals_and_build_errors() -> None:
    method = DERRD(DERRDConfig(gate_tau_start=1.0, gate_tau_end=0.01), student_dim=3, teacher_dim=4)
    assert method.gate_tau == pytest.approx(1.0)
    method.set_progress(0.5)
    assert method.gate_tau == pytest.approx(0.1)
    method.set_progress(1.0)
    assert method.gate_tau == pytest.approx(0.01)
    with pytest.raises(ConfigError, match=r"'derrd'.*'de_weight'.*student_dim"):
        build_method("derrd", {})
    rrd_only = build_method("derrd", {"de_weight": 0})
    assert not rrd_only.uses_repr and method.uses_repr
    with pytest.raises(ValueError, match=r"'derrd' needs KDInputs.student_repr"):
        DERRD(DERRDConfig(k=2), student_dim=3, teacher_dim=4)(inputs(2))


# ---------------------------------------------------------------- hint


@pytest.mark.parametrize("distance", ["mse", "cosine"])
def test_hint_matches_hand_value(distance: str) -> None:
    torch.manual_seed(0)
    s_repr, t_repr = torch.randn(2, 3), torch.randn(2, 4)
    method = Hint(HintConfig(distance=distance), student_dim=3, teacher_dim=4)
    loss = method(inputs(2, student_repr=s_repr, teacher_repr=t_repr))
    w = method.projection.weight.detach().numpy()
    b = method.projection.bias.detach().numpy()
    expected = []
    for n in range(2):
        p, t = w @ s_repr[n].numpy() + b, t_repr[n].numpy()
        if distance == "mse":
            expected.append(float(((p - t) ** 2).mean()))
        else:
            expected.append(1 - float(p @ t / np.linalg.norm(p) / np.linalg.norm(t)))
    close(loss, expected)
    with pytest.raises(ConfigError, match=r"'hint'.*student_dim"):
        build_method("hint", {}, student_dim=3)


# ---------------------------------------------------------------- gradients


ALL_PARAMS: dict[str, dict[str, Any]] = {
    "soft": {"n_negatives": 4},
    "hard": {"k": 2},
    "listwise": {"temperature": 2.0},
    "rd": {"k": 2},
    "cd": {"n_samples": 2},
    "derrd": {"k": 2, "n_uninteresting": 2, "de_weight": 0.1},
    "hint": {},
}


def test_every_method_is_tested() -> None:
    assert set(ALL_PARAMS) == set(METHODS)


@pytest.mark.parametrize("name", sorted(ALL_PARAMS))
@pytest.mark.parametrize("m", [3, 5])  # M = I: no tail at all
@pytest.mark.parametrize("full", [False, True])
def test_gradients_reach_student_and_parameters_not_teacher(name: str, m: int, full: bool) -> None:
    torch.manual_seed(0)
    base = inputs(m, full=full)
    teacher: dict[str, Any] = {
        "teacher_top_logits": base.teacher_top_logits.clone().requires_grad_(True),
        "teacher_logsumexp": base.teacher_logsumexp.clone().requires_grad_(True),
        "teacher_logits": None
        if full is False
        else torch.tensor(T, dtype=torch.float32, requires_grad=True),
        "teacher_repr": torch.randn(2, 4, requires_grad=True),
    }
    student_repr = torch.randn(2, 3, requires_grad=True)
    inp = KDInputs(
        student_logits=base.student_logits,
        targets=base.targets,
        teacher_top_ids=base.teacher_top_ids,
        student_repr=student_repr,
        **teacher,
    )
    inp.validate()
    method = build_method(name, ALL_PARAMS[name], student_dim=3, teacher_dim=4, n_items=5)
    loss = method(inp, torch.Generator().manual_seed(0))
    assert loss.shape == (2,) and bool(torch.isfinite(loss).all())
    loss.sum().backward()
    for tensor in teacher.values():
        assert tensor is None or tensor.grad is None
    if method.uses_repr:
        assert student_repr.grad is not None and bool(torch.isfinite(student_repr.grad).all())
        params = list(method.parameters())
        assert params and all(p.grad is not None for p in params)
        assert sum(float(p.grad.abs().sum()) for p in params if p.grad is not None) > 0
    if name != "hint":
        grad = inp.student_logits.grad
        assert grad is not None and bool(torch.isfinite(grad).all()) and bool(grad.abs().sum() > 0)


# ---------------------------------------------------------------- mixer


def mixer(**params: Any) -> KDMixer:
    params.setdefault("methods", {"rd": {"k": 2}, "listwise": {}})
    return KDMixer.from_config(params)


def test_mixer_alpha_zero_gives_true_loss_and_formula() -> None:
    l_true = torch.tensor([0.3, 0.9])
    inp = inputs(3)
    loss, parts = mixer(alpha=0.0)(l_true, inp)
    assert float(loss.detach()) == pytest.approx(0.6)
    assert parts["loss_true"] == pytest.approx(0.6) and parts["alpha"] == 0.0
    mix = mixer(alpha=0.25, weights={"rd": 2.0})
    rd = build_method("rd", {"k": 2})(inp)
    lw = build_method("listwise", {})(inp)
    loss, parts = mix(l_true, inp)
    expected = (0.75 * l_true + 0.25 * (2.0 * rd + lw)).mean()
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-6)
    assert parts["kd_rd"] == pytest.approx(float(rd.detach().mean()), rel=1e-6)
    assert set(parts) == {"loss", "loss_true", "loss_kd", "kd_rd", "kd_listwise", "alpha"}
    assert mix.kd_name == "rd+listwise"
    assert mixer(methods={"listwise": {}}).kd_name == "listwise"


def test_mixer_schedules() -> None:
    warm = mixer(alpha=0.6, schedule="warmup", warmup_epochs=3)
    values = []
    for epoch in range(5):
        warm.set_epoch(epoch)
        values.append(warm.alpha)
    assert values == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.6])
    const = mixer(alpha=0.6)
    const.set_epoch(0)
    assert const.alpha == 0.6
    val = mixer(alpha=0.8, schedule="validation", patience=2, decay=0.5, min_alpha=0.15)
    seq = [val.on_validation(x) for x in [0.10, 0.12, 0.11, 0.12, 0.13, 0.13, 0.12, 0.1, 0.1]]
    assert seq == pytest.approx([0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.15])
    # the schedule's state is saved with the module and restored
    clone = mixer(alpha=0.8, schedule="validation", patience=2, decay=0.5, min_alpha=0.15)
    clone.load_state_dict(val.state_dict())
    assert clone.alpha == pytest.approx(0.15)


@pytest.mark.parametrize("adaptive", ["target_prob", "entropy"])
@pytest.mark.parametrize("full", [False, True])
def test_adaptive_weighting_favours_positions_where_teacher_is_right(
    adaptive: str, full: bool
) -> None:
    # row 0: the teacher is confident and right (target 0 at its top);
    # row 1: flat teacher, target far down
    t = np.array([[6.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.3, 0.2, 0.1, 0.0, 0.1, 0.2]])
    inp = inputs(2, full=full, s=np.zeros((2, 6)), t=t, targets=[0, 3])
    mix = mixer(adaptive=adaptive)
    w = mix.example_weights(inp)
    assert float(w.mean()) == pytest.approx(1.0)
    assert float(w[0]) > 1.5 * float(w[1])
    half = mixer(adaptive=adaptive, adaptive_strength=0.5).example_weights(inp)
    close(half, (0.5 + 0.5 * w).tolist())
    close(mixer().example_weights(inp), [1.0, 1.0])


def test_mixer_progress_reaches_methods_and_needs() -> None:
    mix = KDMixer.from_config(
        {"methods": {"derrd": {"k": 7}, "hard": {"k": 3}}}, student_dim=3, teacher_dim=4
    )
    mix.set_epoch(5, total_epochs=10)
    assert mix.methods["derrd"].progress == 0.5
    assert mix.teacher_top_needed == 7 and mix.uses_repr
    assert len(list(mix.parameters())) > 0  # the experts train with the student


# ---------------------------------------------------------------- errors


def test_build_errors_name_method_and_parameter() -> None:
    with pytest.raises(ConfigError, match=r"unknown distillation method 'rdd'.*known: cd"):
        build_method("rdd", {})
    with pytest.raises(ConfigError, match=r"'rd': parameter 'k'"):
        build_method("rd", {"k": 0})
    with pytest.raises(ConfigError, match=r"'soft': parameter 'temp': unknown parameter"):
        build_method("soft", {"temp": 2})
    with pytest.raises(ConfigError, match=r"parameter 'alpha'"):
        KDMixer.from_config({"methods": {"rd": {}}, "alpha": 2})
    with pytest.raises(ConfigError, match=r"'weights': 'hint' is not one of the methods"):
        KDMixer.from_config({"methods": {"rd": {}}, "weights": {"hint": 1.0}})
    with pytest.raises(ConfigError, match=r"unknown distillation method 'nope'"):
        KDMixer.from_config({"methods": {"nope": {}}})
    with pytest.raises(ValueError, match=r"KDInputs.targets"):
        KDInputs(
            torch.zeros(2, 5),
            torch.zeros(3, dtype=torch.long),
            torch.zeros(2, 1, dtype=torch.long),
            torch.zeros(2, 1),
            torch.zeros(2),
        ).validate()


# ---------------------------------------------------------------- planted transfer

PLANTED: dict[str, dict[str, Any]] = {
    "rd": {"k": 5, "lam": 5.0},
    "listwise": {},
    "soft": {"n_negatives": 5},
    "hard": {"k": 5},
    "cd": {"n_samples": 5, "tau_rank": 3.0},
    "derrd": {"de_weight": 0.0, "k": 5, "n_uninteresting": 5},
}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_each_loss_transfers_the_teachers_top_5(name: str) -> None:
    """Free student logits minimising only the KD loss learn the teacher's top-5."""
    torch.manual_seed(0)
    n, i, m = 4, 20, 10
    teacher = torch.randn(n, i) * 3
    student = torch.nn.Parameter(torch.randn(n, i))
    cache = KDInputs.from_teacher_logits(
        student.detach(), torch.randint(0, i, (n,)), teacher, m, keep_full=False
    )
    method = build_method(name, PLANTED[name], n_items=i)
    opt = torch.optim.Adam([student], lr=0.05)
    gen = torch.Generator().manual_seed(0)

    def overlap() -> float:
        t5, s5 = teacher.topk(5, dim=1).indices, student.detach().topk(5, dim=1).indices
        return float(np.mean([len(set(t5[r].tolist()) & set(s5[r].tolist())) for r in range(n)]))

    before = overlap()
    for _ in range(200):
        inp = KDInputs(
            student,
            cache.targets,
            cache.teacher_top_ids,
            cache.teacher_top_logits,
            cache.teacher_logsumexp,
        )
        opt.zero_grad()
        method(inp, gen).mean().backward()
        opt.step()
    chance = 5 * 5 / i  # expected overlap of two random top-5 lists
    assert before <= 2.0
    assert overlap() >= 3.5 > 2.5 * chance, (name, before, overlap())
