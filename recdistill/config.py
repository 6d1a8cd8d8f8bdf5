"""Typed run configuration (YAML <-> pydantic), with errors that name the field.

The ``data`` part follows the contract in DESIGN.md. A config holding only
``data`` (and optionally ``split``) runs the default pipeline.

Relative paths are resolved against the current directory first, then against
the folder of the config file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from recdistill.errors import ConfigError

Format = Literal["csv", "tsv", "parquet", "movielens", "atomic", "amazon", "sql"]


class Strict(BaseModel):
    """Base for config sections: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class InteractionsSource(Strict):
    """Where the interaction log comes from and which columns mean what."""

    path: str = Field(description="A file, a folder, or a database URL (format: sql).")
    format: Format = Field(description="Source layout.")
    user: str = Field("user_id", description="User id column (csv/tsv/parquet/sql).")
    item: str = Field("item_id", description="Item id column (csv/tsv/parquet/sql).")
    time: str | None = Field(
        "timestamp",
        description="Time or order column; null keeps file order. Numbers are taken as Unix "
        "seconds or order keys; strings are parsed as dates.",
    )
    time_format: str | None = Field(
        None, description="strftime format for string times (default: ISO-8601 detection)."
    )
    rating: str | None = Field(None, description="Optional rating column.")
    min_rating: float | None = Field(
        None, description="Keep only rows with rating >= this (implicit-feedback threshold)."
    )
    query: str | None = Field(None, description="sql only: a table name or a SELECT statement.")
    sep: str | None = Field(None, description="Override the field separator (csv/tsv).")


class ItemsSource(Strict):
    """An optional item catalogue with the text columns a language model reads."""

    path: str = Field(description="A file, a folder, or a database URL (format: sql).")
    format: Format = Field(description="Source layout.")
    id: str = Field("item_id", description="Item id column.")
    text: list[str] = Field(
        default_factory=lambda: ["title"],
        description="Columns joined (with ' | ') into the item text.",
    )
    title: str | None = Field(
        None, description="Display title column (default: first text column)."
    )
    category: str | None = Field(None, description="Category column (optional).")
    query: str | None = Field(None, description="sql only: a table name or a SELECT statement.")
    sep: str | None = Field(None, description="Override the field separator (csv/tsv).")

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class CleanConfig(Strict):
    """Cleaning steps, applied in this order: ratings, duplicates, repeats, k-core."""

    dedupe: bool = Field(True, description="Drop exact duplicate events (same user, item, time).")
    repeats: Literal["first", "last", "keep"] = Field(
        "first",
        description="Repeated user-item pairs: keep the first, the last, or all. Full ranking "
        "masks seen items, so a repeat could never be a hit; 'keep' only makes sense with "
        "evaluation.mask_seen false.",
    )
    min_user_interactions: int = Field(
        0, ge=0, description="k-core: users need at least this many."
    )
    min_item_interactions: int = Field(
        0, ge=0, description="k-core: items need at least this many."
    )
    keep_cold_items: bool = Field(
        False, description="Keep catalogue items that have no interactions in the item universe."
    )


class DataConfig(Strict):
    name: str | None = Field(None, description="Dataset name in reports (default: from the path).")
    interactions: InteractionsSource = Field(description="The interaction log.")
    items: ItemsSource | None = Field(None, description="The item catalogue (optional).")
    clean: CleanConfig = Field(default_factory=CleanConfig, description="Cleaning steps.")


class SplitConfig(Strict):
    """How interactions are split into train / validation / test."""

    method: Literal["leave_last_out", "temporal", "random"] = "leave_last_out"
    valid_cut: float | str = Field(
        0.8,
        description="temporal: start of validation, as a quantile of event times (0-1) or a "
        "date/time string.",
    )
    test_cut: float | str = Field(0.9, description="temporal: start of test (quantile or date).")
    ratios: tuple[float, float, float] = Field(
        (0.8, 0.1, 0.1), description="random: train/validation/test fractions."
    )
    seed: int = Field(0, description="random: seed.")
    cold: Literal["drop", "keep"] = Field(
        "drop",
        description="temporal/random: evaluation events of users or items unseen in train are "
        "dropped (counted in the log) or kept (cold items stay unhittable for pure CF models).",
    )


class EvalConfig(Strict):
    k: list[int] = Field(default_factory=lambda: [10, 20], description="Cut-offs @K.")
    select_metric: str = Field("ndcg@10", description="Validation metric for model selection.")
    mask_seen: bool = Field(True, description="Mask the user's training items when ranking.")
    batch_size: int = Field(1024, ge=1, description="Users scored per batch.")
    refit: bool = Field(
        True, description="Refit selected baselines on train + validation before the test."
    )
    latency_users: int = Field(200, ge=1, description="Users timed for latency figures.")


class ModelSpec(Strict):
    """One model to train: its kind, fixed params, and a grid searched on validation."""

    kind: str = Field(description="Model kind (see Models below).")
    name: str | None = Field(None, description="Entry name in metrics.json (default: kind).")
    params: dict[str, Any] = Field(default_factory=dict, description="Fixed parameters.")
    grid: dict[str, list[Any]] = Field(
        default_factory=dict, description="Values to search on validation, per parameter."
    )
    refit: bool | None = Field(
        None,
        description="Refit the selected configuration on train + validation before the test "
        "(default: evaluation.refit for baselines; never for models that early-stop on "
        "validation, such as the teacher).",
    )


class DistillConfig(Strict):
    """Students and how they learn from the teacher (needs a teacher)."""

    students: list[ModelSpec] | None = Field(
        None,
        description="Student architectures (default: a small ID-only SASRec). Each trains "
        "once from scratch (kd: null) and once per recipe.",
    )
    recipes: dict[str, dict[str, Any]] | None = Field(
        None,
        description="Distillation recipes, name -> mixer config (methods, weights, alpha, "
        "schedule, adaptive; docs/methods.md). Default: the recipe the benchmarks favour.",
    )
    scratch: bool = Field(True, description="Also train each student without distillation.")
    teacher_outputs: Literal["cache", "online"] = Field(
        "cache",
        description="cache: the teacher's top-M per training position, computed once on disk; "
        "online: the teacher runs on every student batch (exact logits, representations).",
    )
    top_m: int = Field(100, ge=1, description="Teacher items kept per position.")
    quantize: list[Literal["int8", "float16"]] = Field(
        default_factory=list,
        description="Post-training precisions: each twotower student is also served and "
        "evaluated from int8 (per-row scales) or float16 weights, as NAME-int8 / NAME-float16.",
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
    seed: int = Field(0, description="Seed for every model (and the random split's default).")
    device: str = Field("auto", description="auto (CUDA when present) | cpu | cuda[:N]")
    threads: int | None = Field(None, description="CPU threads for numeric work (default: all).")


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


def format_validation_error(exc: ValidationError, source: str) -> str:
    """One line naming the first bad field (and how many more there are)."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{source}: field '{loc}': {msg}{more}"


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
