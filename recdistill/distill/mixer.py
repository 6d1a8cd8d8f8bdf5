"""Mixing the ground-truth loss with distillation losses: weights, schedule, adaptive weighting.

Per position ``n`` of a batch of ``N``::

    L_n = (1 - a) * L_true,n + a * c_n * sum_m w_m * L_m,n        loss = mean_n L_n

- ``L_true`` is the student's own loss per position (given by the caller);
- ``L_m`` the distillation methods (:data:`recdistill.distill.METHODS`), ``w_m``
  their weights (default 1);
- ``a`` follows a schedule: ``constant``; ``warmup``, ``a = alpha * min(1, e / warmup_epochs)``
  with ``e`` the epochs completed (fractional values give a per-step ramp);
  ``validation``, ``a`` starts at ``alpha`` and is multiplied by ``decay`` (not
  below ``min_alpha``) each time the validation metric has not improved by
  more than ``min_delta`` for ``patience`` consecutive validations: once the
  student stops gaining, it leans more on the ground truth;
- ``c_n`` is the adaptive per-example weight (``adaptive``, default off): the
  teacher's confidence, normalised to mean 1 within the batch, so distillation
  counts more where the teacher is likely right and backs off where it is not.
  ``target_prob``: the teacher's probability of the ground-truth target;
  ``entropy``: ``1 - H(p_t) / log I``. ``adaptive_strength = beta`` blends
  ``c_n = (1 - beta) + beta * conf_n / mean(conf)``.

The schedule's state travels in ``state_dict()`` (``get_extra_state``), so a
resumed run continues with the same ``a``.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Self

import torch
from pydantic import Field, SerializeAsAny, ValidationError, field_validator, model_validator
from torch import Tensor, nn

from recdistill.distill._ops import teacher_entropy, teacher_target_prob
from recdistill.distill.base import KDInputs, KDMethod, MethodConfig, build_method, parse_method
from recdistill.errors import ConfigError
from recdistill.models.base import ModelConfig


class KDMixerConfig(ModelConfig):
    """A distillation recipe: which methods, how they are weighted, and how ``a`` moves.

    ``methods`` maps a method's name to its parameters, each validated by that
    method's own config (the union of :data:`~recdistill.distill.METHODS`' configs,
    tagged by name); their order is the order of ``kd`` names in ``metrics.json``.
    """

    methods: dict[str, SerializeAsAny[MethodConfig]] = Field(
        min_length=1,
        description="method name -> its parameters (e.g. {'rd': {'k': 10}}; the methods "
        "and their parameters are listed below)",
    )
    weights: dict[str, float] = Field(default_factory=dict, description="w_m (default 1)")
    alpha: float = Field(0.5, ge=0, le=1, description="a: share of distillation in the loss")
    schedule: Literal["constant", "warmup", "validation"] = "constant"
    warmup_epochs: float = Field(3.0, gt=0, description="warmup: epochs to reach alpha")
    patience: int = Field(2, ge=1, description="validation: non-improving checks before decay")
    decay: float = Field(0.5, gt=0, lt=1, description="validation: factor applied to a")
    min_alpha: float = Field(0.0, ge=0, le=1, description="validation: floor of a")
    min_delta: float = Field(0.0, ge=0, description="validation: smallest real improvement")
    adaptive: Literal["none", "target_prob", "entropy"] = "none"
    adaptive_strength: float = Field(1.0, ge=0, le=1, description="beta in the blend")

    @field_validator("methods", mode="before")
    @classmethod
    def _typed_methods(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for name, params in value.items():
            try:
                out[str(name)] = parse_method(str(name), params)
            except ConfigError as exc:
                raise ValueError(str(exc).removeprefix("distillation ")) from None
        return out

    @model_validator(mode="after")
    def _weights_name_methods(self) -> Self:
        unknown = sorted(set(self.weights) - set(self.methods))
        if unknown:
            raise ValueError(
                f"'weights': '{unknown[0]}' is not one of the methods ({', '.join(self.methods)})"
            )
        return self

    @property
    def kd_name(self) -> str:
        """The ``+``-joined method names, e.g. ``"rd+listwise"`` (``kd`` in metrics.json)."""
        return "+".join(self.methods)

    def teacher_top_needed(self) -> int:
        """The smallest teacher top-M that serves every method."""
        return max(m.teacher_top_needed() for m in self.methods.values())

    def uses_repr(self) -> bool:
        """Whether any method reads the representations (the teacher then runs online)."""
        return any(m.uses_repr() for m in self.methods.values())

    def uses_seen(self) -> bool:
        """Whether any method reads the history mask."""
        return any(m.uses_seen() for m in self.methods.values())


def parse_recipe(params: dict[str, Any] | KDMixerConfig) -> KDMixerConfig:
    """A recipe from a plain dict (or as is); ``ConfigError`` names the bad field."""
    if isinstance(params, KDMixerConfig):
        return params
    try:
        return KDMixerConfig.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        msg = "unknown parameter" if first["type"] == "extra_forbidden" else first["msg"]
        msg = str(msg).removeprefix("Value error, ")
        if first["type"] == "value_error" and loc in ("methods", ""):
            raise ConfigError(f"distillation: {msg}") from None
        raise ConfigError(f"distillation: parameter '{loc}': {msg}") from None


class KDMixer(nn.Module):
    """Combines the ground-truth loss and distillation losses into one scalar."""

    def __init__(
        self,
        config: KDMixerConfig,
        *,
        student_dim: int | None = None,
        teacher_dim: int | None = None,
        n_items: int | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.methods = nn.ModuleDict(
            {
                name: build_method(
                    name,
                    params,
                    student_dim=student_dim,
                    teacher_dim=teacher_dim,
                    n_items=n_items,
                )
                for name, params in config.methods.items()
            }
        )
        self.weights = {name: config.weights.get(name, 1.0) for name in config.methods}
        self._base_alpha = config.alpha  # what the validation schedule lowers
        self._epoch = 0.0
        self._best = -math.inf
        self._stale = 0

    @classmethod
    def from_config(
        cls,
        params: dict[str, Any] | KDMixerConfig,
        *,
        student_dim: int | None = None,
        teacher_dim: int | None = None,
        n_items: int | None = None,
    ) -> KDMixer:
        """Build from a recipe (a plain dict is validated; ``ConfigError`` names the field)."""
        config = parse_recipe(params)
        return cls(config, student_dim=student_dim, teacher_dim=teacher_dim, n_items=n_items)

    @property
    def kd_name(self) -> str:
        """The ``+``-joined method names, e.g. ``"rd+listwise"`` (``kd`` in metrics.json)."""
        return self.config.kd_name

    @property
    def uses_repr(self) -> bool:
        """Whether any method reads the representations."""
        return self.config.uses_repr()

    @property
    def teacher_top_needed(self) -> int:
        """The smallest teacher top-M that serves every method."""
        return self.config.teacher_top_needed()

    @property
    def reads_top_only(self) -> bool:
        """Whether every method works from the student's top-M logits and logsumexp
        (:class:`~recdistill.distill.base.KDInputs` in the sampled form)."""
        return all(self._method(name).reads_top_only for name in self.methods)

    @property
    def alpha(self) -> float:
        """The current ``a``."""
        cfg = self.config
        if cfg.schedule == "warmup":
            return cfg.alpha * min(1.0, max(self._epoch, 0.0) / cfg.warmup_epochs)
        if cfg.schedule == "validation":
            return self._base_alpha
        return cfg.alpha

    def set_epoch(self, epoch: float, total_epochs: float | None = None) -> None:
        """Epochs completed so far (fractional allowed); with ``total_epochs``, methods'
        annealed parameters follow ``epoch / total_epochs``."""
        self._epoch = float(epoch)
        if total_epochs:
            for name in self.methods:
                self._method(name).set_progress(min(1.0, self._epoch / total_epochs))

    def on_validation(self, metric: float) -> float:
        """Report the student's validation metric (higher is better); returns the new ``a``."""
        cfg = self.config
        if metric > self._best + cfg.min_delta:
            self._best, self._stale = float(metric), 0
        else:
            self._stale += 1
            if cfg.schedule == "validation" and self._stale >= cfg.patience:
                self._base_alpha = max(cfg.min_alpha, self._base_alpha * cfg.decay)
                self._stale = 0
        return self.alpha

    @torch.no_grad()
    def example_weights(self, inp: KDInputs) -> Tensor:
        """``N``: the adaptive per-position weight ``c_n`` (mean 1; all ones when off)."""
        cfg = self.config
        n = inp.targets.shape[0]
        ones = torch.ones(n, device=inp.device)
        if cfg.adaptive == "none" or n == 0:
            return ones
        if cfg.adaptive == "target_prob":
            conf = teacher_target_prob(inp)
        else:
            conf = (1.0 - teacher_entropy(inp) / math.log(inp.n_items)).clamp(0.0, 1.0)
        mean = conf.mean()
        if float(mean) <= 1e-12:
            return ones
        beta = cfg.adaptive_strength
        return (1.0 - beta) + beta * conf / mean

    def forward(
        self, l_true: Tensor, inp: KDInputs, generator: torch.Generator | None = None
    ) -> tuple[Tensor, dict[str, float]]:
        """The scalar loss and its components (``loss``, ``loss_true``, ``loss_kd``,
        ``kd_<method>`` unweighted means, ``alpha``) for logging.

        ``l_true``: ``N`` per-position ground-truth losses; ``inp``: the batch.
        """
        inp.validate()
        if l_true.shape != inp.targets.shape:
            raise ValueError(f"l_true: expected shape {tuple(inp.targets.shape)}")
        a = self.alpha
        per_method = {name: self._method(name)(inp, generator) for name in self.methods}
        kd = torch.zeros_like(l_true, dtype=torch.float32)
        for name, value in per_method.items():
            kd = kd + self.weights[name] * value
        kd = self.example_weights(inp) * kd
        loss = ((1.0 - a) * l_true.float() + a * kd).mean()
        parts = [loss, l_true.float().mean(), kd.mean(), *(v.mean() for v in per_method.values())]
        values = torch.stack([p.detach() for p in parts]).tolist()
        keys = ["loss", "loss_true", "loss_kd", *(f"kd_{name}" for name in per_method)]
        components = dict(zip(keys, values, strict=True))
        components["alpha"] = a
        return loss, components

    def get_extra_state(self) -> dict[str, float]:
        return {
            "base_alpha": self._base_alpha,
            "epoch": self._epoch,
            "best": self._best,
            "stale": float(self._stale),
        }

    def set_extra_state(self, state: dict[str, float]) -> None:
        self._base_alpha = float(state["base_alpha"])
        self._epoch = float(state["epoch"])
        self._best = float(state["best"])
        self._stale = int(state["stale"])

    def _method(self, name: str) -> KDMethod:
        method = self.methods[name]
        assert isinstance(method, KDMethod)
        return method
