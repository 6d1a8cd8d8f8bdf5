"""Render the configuration reference (docs/configuration.md) from the typed configs.

    python -m recdistill.config_docs > docs/configuration.md

Every section comes from the same pydantic classes that validate a config
(the run config's sections, each model's config chosen by ``kind``, the
distillation recipe and each method's config chosen by its name), and a test
checks that the committed file equals this output, so the reference cannot
drift from the code.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from recdistill.config import (
    CleanConfig,
    DataConfig,
    DistillConfig,
    EvalConfig,
    InteractionsSource,
    ItemsSource,
    RunConfig,
    ServeConfig,
    SplitConfig,
)
from recdistill.distill import METHODS
from recdistill.distill.base import MethodConfig
from recdistill.distill.mixer import KDMixerConfig
from recdistill.models.base import MODELS, ModelConfig
from recdistill.models.hybrid import SubModel
from recdistill.specs import SpecBase

#: how a class reads in the type column (a section of this page, by its title)
_NAMES: dict[type, str] = {
    DataConfig: "data section",
    InteractionsSource: "interactions source",
    ItemsSource: "items source",
    CleanConfig: "clean section",
    SplitConfig: "split section",
    EvalConfig: "evaluation section",
    DistillConfig: "distill section",
    ServeConfig: "serve section",
    KDMixerConfig: "recipe",
    MethodConfig: "method params",
    ModelConfig: "model params",
    SubModel: "{kind, params}",
}


def _type_name(ann: Any) -> str:
    """A readable name for a field's annotation (unions, lists, dicts, literals, sections)."""
    if ann is None or ann is type(None):
        return "null"
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        if args and all(isinstance(a, type) and issubclass(a, SpecBase) for a in args):
            return "model entry"
        return " | ".join(dict.fromkeys(_type_name(a) for a in args))
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin in (list, tuple):
        inner = ", ".join(_type_name(a) for a in args if a is not Ellipsis)
        return f"{origin.__name__}[{inner}]"
    if origin is dict:
        return f"dict[{_type_name(args[0])}, {_type_name(args[1])}]"
    if isinstance(ann, type):
        if ann in _NAMES:
            return _NAMES[ann]
        if issubclass(ann, ModelConfig):
            return "section (below)"
        return ann.__name__
    return str(ann).replace("typing.", "")


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "(section)"
    try:
        return f"`{json.dumps(value)}`"
    except TypeError:
        return f"`{value!r}`"


def section(
    title: str, model: type[BaseModel], intro: str = "", *, skip: tuple[str, ...] = ()
) -> str:
    """One ``###`` section: the intro and a table of the model's fields."""
    lines = [f"### {title}", ""]
    doc = (intro or (model.__doc__ or "")).strip()
    if doc:
        lines += [" ".join(doc.split()), ""]
    fields = {n: f for n, f in model.model_fields.items() if n not in skip}
    if not fields:
        return "\n".join([*lines, "No parameters."]) + "\n"
    lines += ["| field | type | default | meaning |", "|---|---|---|---|"]
    for name, field in fields.items():
        desc = " ".join((field.description or "").split())
        cells = (f"`{name}`", f"`{_type_name(field.annotation)}`", _default(field), desc)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _first_paragraph(cls: type) -> str:
    return (cls.__doc__ or "").split("\n\n")[0]


def run_sections() -> list[str]:
    """The run config's own sections, in the order a config reads."""
    return [
        section("top level", RunConfig, "The sections of a run config."),
        section("data", DataConfig, "Where the data comes from and how it is cleaned."),
        section("data.interactions", InteractionsSource),
        section("data.items", ItemsSource),
        section("data.clean", CleanConfig),
        section("split", SplitConfig),
        section("evaluation", EvalConfig),
        section(
            "model entry (baselines[], teacher, distill.students[])",
            SpecBase,
            "A model to train: its `kind` (one of the Models below), its `params` (that "
            "model's parameters, validated by its own config), and a `grid` of values "
            "searched on validation (dotted keys reach nested params, e.g. `cf.params.l2`; "
            "every grid point is validated too).",
        ),
        section("distill", DistillConfig),
        section("serve", ServeConfig),
    ]


def defaults_section() -> list[str]:
    """What a config that holds only ``data`` trains (the rules of ``stages/defaults.py``)."""
    from recdistill.stages import defaults

    doc = (defaults.__doc__ or "").strip().split("\n", 1)[1].strip()
    return ["## Defaults", "", doc.replace("``", "`"), ""]


def distill_sections() -> list[str]:
    """The recipe and every method's parameters."""
    parts = [
        "## Distillation recipes",
        "",
        "A recipe (`distill.recipes.NAME`) mixes the student's own loss with one or more "
        "methods; `methods` maps a method's name to its parameters. Formulas and guidance: "
        "`docs/methods.md`.",
        "",
        section("recipe", KDMixerConfig),
    ]
    for name in sorted(METHODS):
        cls = METHODS[name]
        parts.append(
            section(f"method `{name}`", cls.Config, _first_paragraph(cls), skip=("kind",))
        )
    return parts


def model_sections() -> list[str]:
    parts = [
        "## Models",
        "",
        "Each model's `params` are validated by its typed config below.",
        "",
    ]
    for kind in sorted(MODELS):
        cls = MODELS[kind]
        parts.append(section(f"`{kind}`", cls.Config, _first_paragraph(cls)))
        for name, field in cls.Config.model_fields.items():
            sub = field.annotation
            if isinstance(sub, type) and issubclass(sub, ModelConfig) and sub not in _NAMES:
                parts.append(section(f"`{kind}`.params.{name}", sub))
    return parts


def render() -> str:
    parts = [
        "# Configuration reference",
        "",
        "Generated from the typed configs by `python -m recdistill.config_docs`; do not edit "
        "by hand. Unknown keys are errors. Relative paths resolve against the current "
        "directory first, then the config file's folder. Any field can be overridden on the "
        "command line with `--set section.field=value` (values parsed as YAML).",
        "",
        "## Run configuration (YAML)",
        "",
        *run_sections(),
        *defaults_section(),
        *distill_sections(),
        *model_sections(),
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
