"""Render the configuration reference (docs/configuration.md) from the typed configs.

    python -m recdistill.config_docs > docs/configuration.md

A test checks that the committed file equals this output, so the reference
cannot drift from the code.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from recdistill.config import (
    CleanConfig,
    DataConfig,
    EvalConfig,
    InteractionsSource,
    ItemsSource,
    ModelSpec,
    RunConfig,
    SplitConfig,
)
from recdistill.models.base import MODELS, model_class


def _type_name(field: FieldInfo) -> str:
    ann = field.annotation
    text = getattr(ann, "__name__", None) if ann is not None else None
    if text is None or "[" in repr(ann) or "|" in repr(ann):
        text = repr(ann).replace("typing.", "").replace("recdistill.config.", "")
    return text.replace("NoneType", "None")


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


def section(title: str, model: type[BaseModel], intro: str = "") -> str:
    lines = [f"### {title}", ""]
    doc = (intro or (model.__doc__ or "")).strip()
    if doc:
        lines += [" ".join(doc.split()), ""]
    if not model.model_fields:
        return "\n".join([*lines, "No parameters."]) + "\n"
    lines += ["| field | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        desc = " ".join((field.description or "").split())
        cells = (f"`{name}`", f"`{_type_name(field)}`", _default(field), desc)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def render() -> str:
    model_class("popularity")  # fill the registry with the built-in models
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
        section("top level", RunConfig, "The sections of a run config."),
        section("data", DataConfig, "Where the data comes from and how it is cleaned."),
        section("data.interactions", InteractionsSource),
        section("data.items", ItemsSource),
        section("data.clean", CleanConfig),
        section("split", SplitConfig),
        section("evaluation", EvalConfig),
        section(
            "baselines[] (and other model lists)",
            ModelSpec,
            "A model to train: `kind`, fixed `params`, and a `grid` of values searched on "
            "validation (dotted keys reach nested params, e.g. `cf.params.l2`).",
        ),
        "## Models",
        "",
        "Each model's `params` are validated by its typed config below.",
        "",
    ]
    for kind in sorted(MODELS):
        cls = MODELS[kind]
        parts.append(section(f"`{kind}`", cls.Config, (cls.__doc__ or "").split("\n\n")[0]))
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
