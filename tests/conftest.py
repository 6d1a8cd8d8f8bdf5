"""Shared fixtures: run the CLI in-process, write small data files and configs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from recdistill.cli import main


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``cli("data", "inspect", path)`` -> ``(exit code, stdout, stderr)``, in-process."""

    def run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """``write("a/b.csv", text_or_bytes)`` -> the path, under ``tmp_path``."""

    def put(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return put


@pytest.fixture
def config(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """``config({"interactions": {...}})`` -> a YAML run config holding that ``data:`` section."""

    def make(data: dict[str, Any], name: str = "cfg.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump({"data": data}), encoding="utf-8")
        return path

    return make
