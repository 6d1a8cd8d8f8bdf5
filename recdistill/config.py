"""Typed run configuration (YAML <-> pydantic), with errors that name the field.

The ``data`` part follows the contract in DESIGN.md. A config holding only
``data`` (and optionally ``split``) runs the default pipeline.

Typed all the way down: a model entry (``baselines[]``, ``teacher``,
``distill.students[]``) is a :data:`~recdistill.specs.ModelSpec`, whose
``params`` are the model's own config chosen by ``kind``; a distillation
recipe is a :class:`~recdistill.distill.mixer.KDMixerConfig`, whose
``methods`` are each method's own config chosen by its name. So one schema
validates a config, dumps it (``dump -> load -> equal``) and generates the
reference (``docs/configuration.md``).

Relative paths are resolved against the current directory first, then against
the folder of the config file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from recdistill.budget import parse_budget
from recdistill.data.config import (
    CleanConfig,
    DataConfig,
    Format,
    InteractionsSource,
    ItemsSource,
    Strict,
)
from recdistill.distill.mixer import KDMixerConfig
from recdistill.errors import ConfigError
from recdistill.specs import SPECS, ModelSpec
from recdistill.split import SplitConfig

__all__ = [
    "CleanConfig",
    "DataConfig",
    "DistillConfig",
    "EvalConfig",
    "Format",
    "InteractionsSource",
    "ItemsSource",
    "ModelSpec",
    "RunConfig",
    "ServeConfig",
    "SplitConfig",
    "Strict",
    "apply_overrides",
    "dump_config",
    "load_config",
    "parse_config",
]

class EvalConfig(Strict):
    k: list[int] = Field(default_factory=lambda: [10, 20], description="Cut-offs @K.")
    select_metric: str = Field("ndcg@10", description="Validation metric for model selection.")
    mask_seen: bool = Field(True, description="Mask the user's training items when ranking.")
    batch_size: int = Field(1024, ge=1, description="Users scored per batch.")
    refit: bool = Field(
        True, description="Refit selected baselines on train + validation before the test."
    )
    latency_users: int = Field(200, ge=1, description="Users timed for latency figures.")
    max_users: int | None = Field(
        50_000,
        ge=1,
        description="Evaluate at most this many users (a fixed random sample, the same for "
        "every model; recorded in metrics.json) when more have targets; each is still "
        "ranked against the full catalogue. null: every user.",
    )


Quantization = Literal["int8", "float16"]


class DistillConfig(Strict):
    """Students and how they learn from the teacher (needs a teacher)."""

    students: list[ModelSpec] | None = Field(
        None,
        description="Student architectures (default: a history-pooled two-tower student "
        "sized to the teacher's bytes; see Defaults). Each trains once from scratch "
        "(kd: null) and once per recipe; a student must be a distillable kind "
        "(sasrec, twotower).",
    )
    recipes: dict[str, KDMixerConfig] | None = Field(
        None,
        description="Distillation recipes, name -> recipe (methods, weights, alpha, "
        "schedule, adaptive; see Distillation recipes below and docs/methods.md). Default: "
        "listwise KL, alpha 0.5 (the recipe the benchmarks favour).",
    )
    scratch: bool = Field(True, description="Also train each student without distillation.")
    teacher_outputs: Literal["cache", "online"] = Field(
        "cache",
        description="cache: the teacher's top-M per training position, computed once on disk; "
        "online: the teacher runs on every student batch (exact logits, representations). "
        "Under a budget, a cache whose measured cost does not fit the time it can have is "
        "replaced by online scoring (noted in metrics.json).",
    )
    top_m: int = Field(100, ge=1, description="Teacher items kept per position.")
    quantize: list[Quantization] = Field(
        default_factory=lambda: list[Quantization](["int8"]),
        description="Post-training precisions: each quantizable student (twotower, sasrec) is "
        "also served and evaluated from int8 (per-row scales) or float16 weights, as "
        "NAME-int8 / NAME-float16.",
    )
    cache_memory_mb: float = Field(
        256.0, gt=0, description="Bound on the teacher logits held at once while caching."
    )


class ServeConfig(Strict):
    """Settings `recdistill serve` reads from the run's config (the environment wins)."""

    token_file: str | None = Field(
        None,
        description="A file holding the bearer token for write endpoints (used when "
        "RECDISTILL_API_TOKEN is unset). Prefer this or the environment to `token`.",
    )
    token: str | None = Field(
        None,
        description="The bearer token itself (kept in the run folder's config.json: "
        "protect that folder, or use token_file / RECDISTILL_API_TOKEN).",
    )


class RunConfig(Strict):
    data: DataConfig = Field(description="The data sources and cleaning (the only required part).")
    split: SplitConfig = Field(default_factory=SplitConfig, description="Train/valid/test split.")
    evaluation: EvalConfig = Field(
        default_factory=EvalConfig, description="Metrics, cut-offs and model selection."
    )
    baselines: list[ModelSpec] | None = Field(
        None, description="Baselines to tune and evaluate (default: the standard set)."
    )
    teacher: ModelSpec | Literal["default"] | None = Field(
        "default",
        description="The large teacher model ('default': a text-aware SASRec; null: none).",
    )
    distill: DistillConfig | None = Field(
        default_factory=DistillConfig,
        description="Students distilled from the teacher (null: no students).",
    )
    serve: ServeConfig = Field(
        default_factory=ServeConfig, description="Serving settings (the API token)."
    )
    budget: str | float | None = Field(
        "20m",
        description="Wall-clock budget of the whole run: a duration (20m, 90s, 1.5h; a number "
        "is seconds) split across the stages, or none (train to convergence with early "
        "stopping). `recdistill run --budget` sets it.",
    )
    seed: int = Field(0, description="Seed for every model (and the random split's default).")
    device: str = Field("auto", description="auto (CUDA when present) | cpu | cuda[:N]")
    precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto",
        description="Training matmuls: auto (bfloat16 autocast on GPUs and on CPUs with "
        "native bf16, float32 elsewhere) | bf16 | fp32 (autocast off). Weights, optimizer "
        "and loss stay float32.",
    )
    threads: int | None = Field(None, description="CPU threads for numeric work (default: all).")
    memory_gb: float | None = Field(
        None,
        gt=0,
        description="Memory a baseline may use at its peak; one that would need more is "
        "skipped (noted in metrics.json). Default: 70% of the memory free when the run starts.",
    )


def _check_budget(cfg: RunConfig, source: str) -> None:
    try:
        parse_budget(cfg.budget)
    except ConfigError as exc:
        raise ConfigError(f"{source}: field 'budget': {exc}") from None


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    parts = dotted.split(".")
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def apply_overrides(tree: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides; values are parsed as YAML scalars/lists."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value (e.g. split.method=temporal)")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {key}: value {raw!r} is not valid YAML ({exc})") from None
        _set_dotted(tree, key.strip(), value)
    return tree


# Errors of the alternatives of a union (``teacher: default | null | {...}``): shown only
# when no alternative got further.
_ALTERNATIVE = {"literal_error", "none_required", "model_attributes_type", "model_type"}


def _path(loc: tuple[Any, ...]) -> str:
    """A field path without union labels (``tagged-union[...]``) or the ``kind`` tags."""
    keep = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p in SPECS))]
    return ".".join(keep) or "(top level)"


def format_validation_error(exc: ValidationError, source: str) -> str:
    """One line naming the first bad field (and how many more there are)."""
    errors = exc.errors()
    real = [e for e in errors if e["type"] not in _ALTERNATIVE]
    first = real[0] if real else errors[-1]
    loc = _path(tuple(first["loc"]))
    msg = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    more = len(real) - 1 if real else 0
    tail = f" (+{more} more)" if more > 0 else ""
    return f"{source}: field '{loc}': {msg}{tail}"


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, with errors naming file, line and column."""
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, expected a YAML config file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (cannot decode as UTF-8)") from None
    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}:{where}: malformed YAML: {problem}") from None
    if tree is None:
        raise ConfigError(f"{path}: config file is empty")
    if not isinstance(tree, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level (data:, split:, ...)")
    return tree


def resolve_path(raw: str, base: Path | None) -> str:
    """Resolve a data path: as given if it exists (or is a URL), else relative to ``base``."""
    if "://" in raw:
        return raw
    p = Path(raw).expanduser()
    if p.is_absolute() or p.exists() or base is None:
        return str(p)
    alt = base / p
    return str(alt) if alt.exists() else str(p)


def parse_config(tree: dict[str, Any], source: str, base: Path | None = None) -> RunConfig:
    try:
        cfg = RunConfig.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
    _check_budget(cfg, source)
    inter = cfg.data.interactions
    if inter.format != "sql":
        inter.path = resolve_path(inter.path, base)
    if cfg.data.items is not None and cfg.data.items.format != "sql":
        cfg.data.items.path = resolve_path(cfg.data.items.path, base)
    return cfg


def load_config(path: Path, overrides: list[str] | None = None) -> RunConfig:
    """Load a run config from YAML, apply ``--set`` overrides, validate."""
    tree = apply_overrides(read_yaml(path), overrides or [])
    return parse_config(tree, str(path), base=path.parent)


def dump_config(cfg: BaseModel) -> dict[str, Any]:
    """A plain dict (YAML/JSON-safe) that :func:`parse_config` loads back to an equal object."""
    return cfg.model_dump(mode="json")
