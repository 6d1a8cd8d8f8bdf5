"""Config: YAML errors name the file and field; the reference docs match the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from recdistill.config import apply_overrides, load_config
from recdistill.config_docs import render
from recdistill.errors import ConfigError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_configuration_reference_is_current() -> None:
    expected = render()
    assert DOCS.read_text(encoding="utf-8") == expected, (
        "docs/configuration.md is stale: run "
        "`.venv/bin/python -m recdistill.config_docs > docs/configuration.md`"
    )


def test_unknown_field_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data:\n  interactions: {path: x.csv, format: csv, colour: red}\n")
    with pytest.raises(ConfigError, match=r"c.yaml: field 'data.interactions.colour': unknown"):
        load_config(cfg)


def test_overrides_reach_nested_fields(tmp_path: Path) -> None:
    tree = apply_overrides({"split": {}}, ["split.method=temporal", "evaluation.k=[5, 50]"])
    assert tree == {"split": {"method": "temporal"}, "evaluation": {"k": [5, 50]}}


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "log.csv").write_text("user_id,item_id,timestamp\n1,2,3\n")
    cfg = tmp_path / "sub" / "c.yaml"
    cfg.write_text("data:\n  interactions: {path: log.csv, format: csv}\n")
    loaded = load_config(cfg)
    assert Path(loaded.data.interactions.path) == tmp_path / "sub" / "log.csv"


# -- typed all the way down --------------------------------------------------------------

DATA = {"interactions": {"path": "x.csv", "format": "csv"}}

FULL = {
    "data": DATA,
    "baselines": [
        {"kind": "ease", "grid": {"l2": [50.0, 500.0]}},
        {"kind": "hybrid", "grid": {"cf.params.l2": [100.0], "weight": [0.5, 0.9]}},
    ],
    "teacher": {"kind": "sasrec", "name": "t", "params": {"d_model": 32, "n_heads": 2,
                                                         "text": {"encoder": "minilm"}}},
    "distill": {
        "students": [{"kind": "twotower", "params": {"d_model": 16}}],
        "recipes": {"mix": {"methods": {"rd": {"k": 5}, "listwise": {"temperature": 2.0}},
                            "weights": {"rd": 0.5}, "alpha": 0.3}},
        "quantize": ["int8"],
    },
}


def test_a_full_config_round_trips_through_its_dump() -> None:
    from recdistill.config import dump_config, parse_config
    from recdistill.distill.rd import RDConfig
    from recdistill.models.sasrec import SASRecConfig

    cfg = parse_config(FULL, "c.yaml")
    assert isinstance(cfg.teacher, object) and cfg.teacher != "default"
    assert isinstance(cfg.teacher.params, SASRecConfig)  # type: ignore[union-attr]
    assert cfg.teacher.params.text.encoder == "minilm"  # type: ignore[union-attr]
    assert cfg.distill is not None and cfg.distill.recipes is not None
    recipe = cfg.distill.recipes["mix"]
    assert isinstance(recipe.methods["rd"], RDConfig) and recipe.methods["rd"].k == 5
    assert recipe.kd_name == "rd+listwise" and recipe.teacher_top_needed() == 5
    again = parse_config(dump_config(cfg), "dump")
    assert again == cfg
    assert dump_config(again) == dump_config(cfg)


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"teacher": {"kind": "sasrec", "params": {"d_model": 2}}}, "'teacher.params.d_model'"),
        ({"teacher": {"kind": "sasrec", "params": {"layers": 2}}},
         "'teacher.params.layers': unknown"),
        ({"teacher": {"kind": "sasrec", "params": {"d_model": 30, "n_heads": 4}}}, "divisible"),
        ({"teacher": {"kind": "sasrek"}}, "'teacher'"),
        ({"teacher": "defalt"}, "'teacher'"),
        ({"baselines": [{"kind": "ease", "grid": {"l3": [1.0]}}]}, "'l3' is not a parameter"),
        ({"baselines": [{"kind": "ease", "grid": {"l2": [-1.0]}}]}, "grid: parameter 'l2'"),
        ({"baselines": [{"kind": "ease", "grid": {"l2": []}}]}, "at least one value"),
        ({"distill": {"recipes": {"r": {"methods": {"rdd": {}}}}}}, "unknown distillation method"),
        ({"distill": {"recipes": {"r": {"methods": {"rd": {"k": 0}}}}}},
         "method 'rd': parameter 'k'"),
        ({"distill": {"recipes": {"r": {"methods": {"rd": {}}, "weights": {"cd": 1}}}}},
         "'cd' is not one of the methods"),
    ],
)
def test_bad_params_anywhere_are_one_line_naming_the_field(
    patch: dict[str, object], needle: str
) -> None:
    from recdistill.config import parse_config

    with pytest.raises(ConfigError) as err:
        parse_config({"data": DATA, **patch}, "c.yaml")
    message = str(err.value)
    assert needle in message and "\n" not in message and message.startswith("c.yaml: field ")


def test_a_student_that_cannot_be_distilled_is_refused_before_training() -> None:
    from recdistill.config import parse_config
    from recdistill.stages.students import resolve

    cfg = parse_config({"data": DATA, "distill": {"students": [{"kind": "ease"}]}}, "c.yaml")
    assert cfg.distill is not None
    with pytest.raises(ConfigError, match=r"distill.students.0: kind 'ease' cannot be distilled"):
        resolve(cfg.distill)
    scratch_only = cfg.distill.model_copy(update={"recipes": {}})
    assert [s.kind for s in resolve(scratch_only)[0]] == ["ease"]  # no recipe: nothing to distil


def test_every_model_kind_and_method_is_in_the_reference() -> None:
    from recdistill.distill import METHODS
    from recdistill.models import MODELS

    text = render()
    for heading in ("### distill", "### serve", "### recipe", "### model entry"):
        assert heading in text
    assert all(f"### `{kind}`" in text for kind in MODELS)
    assert all(f"### method `{name}`" in text for name in METHODS)


def test_the_documented_default_rules_match_their_constants() -> None:
    from recdistill.stages import defaults

    doc = defaults.__doc__ or ""
    assert f"{defaults.SAMPLED_ABOVE:,} items" in doc
    assert f"{defaults.N_NEGATIVES:,} negatives" in doc
    assert f"{defaults.SMALL_LOG:,} training interactions" in doc
    assert f"{100 * defaults.STUDENT_BYTES_SHARE:g}%" in doc
