"""A model to train, as a run config names it: ``kind``, typed ``params``, a ``grid``.

``ModelSpec`` is a discriminated union over the registered models
(:data:`recdistill.models.MODELS`), tagged by ``kind``: each member's
``params`` is that model's own typed config, so a misspelt or out-of-range
parameter is an error naming it before anything trains, a spec dumps to a dict
that loads back equal, and the configuration reference is generated from the
same classes. The ``grid`` lists values searched on validation; every grid
point is validated as a config of the model too. Dotted grid keys reach nested
params (``cf.params.l2`` of a hybrid).
"""

from __future__ import annotations

import copy
import itertools
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)

from recdistill.errors import ConfigError
from recdistill.models import MODELS
from recdistill.models.base import ModelConfig, Recommender, build_model


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    *head, last = dotted.split(".")
    for part in head:
        node = node.setdefault(part, {})
    node[last] = value


def expand_grid(params: dict[str, Any], grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """All combinations of ``grid`` applied over a copy of ``params`` (in grid order)."""
    if not grid:
        return [copy.deepcopy(params)]
    keys = list(grid)
    out = []
    for values in itertools.product(*(grid[k] for k in keys)):
        p = copy.deepcopy(params)
        for k, v in zip(keys, values, strict=True):
            _set(p, k, v)
        out.append(p)
    return out


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = "unknown parameter" if first["type"] == "extra_forbidden" else first["msg"]
    return f"parameter '{loc}': {msg}"


class SpecBase(BaseModel):
    """One model to train: its kind, its parameters, and a grid searched on validation."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="Model kind (see Models below).")
    name: str | None = Field(None, description="Entry name in metrics.json (default: kind).")
    params: ModelConfig = Field(description="The model's parameters (its typed config).")
    grid: dict[str, list[Any]] = Field(
        default_factory=dict, description="Values to search on validation, per parameter."
    )
    refit: bool | None = Field(
        None,
        description="Refit the selected configuration on train + validation before the test "
        "(default: evaluation.refit for baselines; never for models that early-stop on "
        "validation, such as the teacher).",
    )

    @model_validator(mode="after")
    def _grid_is_valid(self) -> Self:
        fields = type(self.params).model_fields
        for key, values in self.grid.items():
            if key.split(".")[0] not in fields:
                raise ValueError(f"grid: '{key}' is not a parameter of '{self.kind}'")
            if not values:
                raise ValueError(f"grid.{key}: give at least one value")
        self.grid_points()
        return self

    @property
    def label(self) -> str:
        """The entry name in ``metrics.json``."""
        return self.name or self.kind

    def params_dict(self) -> dict[str, Any]:
        """The parameters as plain JSON values."""
        return self.params.model_dump(mode="json")

    def grid_points(self) -> list[ModelConfig]:
        """Every combination of the grid over ``params``, each a validated config."""
        config = type(self.params)
        out = []
        for tree in expand_grid(self.params_dict(), self.grid):
            try:
                out.append(config.model_validate(tree))
            except ValidationError as exc:
                raise ValueError(f"grid: {_first_error(exc)}") from None
        return out

    def build(self, params: ModelConfig | None = None) -> Recommender:
        """A fresh model of this kind (``params`` default: the spec's own)."""
        return build_model(self.kind, params if params is not None else self.params)


def _spec_class(cls: type[Recommender]) -> type[SpecBase]:
    """The spec of one model kind: ``kind`` fixed, ``params`` typed by its config."""
    return create_model(
        f"{cls.__name__}Spec",
        __base__=SpecBase,
        __doc__=f"A `{cls.kind}` model to train.",
        kind=(Literal[cls.kind], Field(description="Model kind.")),  # type: ignore[arg-type]
        params=(
            cls.Config,
            Field(default_factory=cls.Config, description=f"`{cls.kind}` parameters."),
        ),
    )


#: the spec class of every registered kind
SPECS: dict[str, type[SpecBase]] = {kind: _spec_class(MODELS[kind]) for kind in sorted(MODELS)}

if TYPE_CHECKING:
    ModelSpec = SpecBase
else:
    ModelSpec = Annotated[Union[tuple(SPECS.values())], Field(discriminator="kind")]  # noqa: UP007

_ADAPTER: TypeAdapter[SpecBase] = TypeAdapter(ModelSpec)


def model_spec(kind: str, **fields: Any) -> SpecBase:
    """A validated spec, e.g. ``model_spec("ease", grid={"l2": [100.0, 500.0]})``.

    Raises:
        ConfigError: unknown kind or a bad field, named.
    """
    if kind not in SPECS:
        known = ", ".join(sorted(SPECS))
        raise ConfigError(f"unknown model kind '{kind}' (known: {known})")
    try:
        return _ADAPTER.validate_python({"kind": kind, **fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"][1:])
        msg = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(f"model '{kind}': field '{loc}': {msg}") from None


__all__ = ["SPECS", "ModelSpec", "SpecBase", "expand_grid", "model_spec"]
