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
