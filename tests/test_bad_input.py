"""User mistakes through the CLI: exit code 2, one line on stderr naming the place, no traceback."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

Cli = Callable[..., tuple[int, str, str]]
Files = dict[str, str | bytes]

HEAD = "user_id,item_id,timestamp\n"
ATOMIC_HEAD = "user_id:token\titem_id:token\ttimestamp:float\n"

# name: (files, data section with {tmp} for the folder, substrings the error line must hold)
CASES: dict[str, tuple[Files, dict[str, Any], list[str]]] = {
    "missing file": (
        {},
        {"interactions": {"path": "{tmp}/nope.csv", "format": "csv"}},
        ["nope.csv", "not found"],
    ),
    "movielens folder without ratings": (
        {"ml/readme.txt": "hi"},
        {"interactions": {"path": "{tmp}/ml", "format": "movielens"}},
        ["/ml:", "u.data, ratings.dat, ratings.csv"],
    ),
    "atomic folder without .inter": (
        {"shop/shop.item": "item_id:token\n"},
        {"interactions": {"path": "{tmp}/shop", "format": "atomic"}},
        ["/shop:", "shop.inter"],
    ),
    "unknown column lists the available ones": (
        {"log.csv": HEAD + "u,i,1\n"},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv", "user": "who"}},
        ["log.csv", "column 'who'", "available columns: user_id, item_id, timestamp"],
    ),
    "unparsable time": (
        {"log.csv": HEAD + "u,i,2020-01-01\nu,j,last tuesday\n"},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv, line 3, column 'timestamp'", "'last tuesday'"],
    ),
    "time word among numbers": (
        {"log.csv": HEAD + "u,i,10\nu,j,11\n\nu,k,soon\n"},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv, line 5, column 'timestamp'", "'soon'"],
    ),
    "unparsable rating": (
        {"log.tsv": "user_id\titem_id\ttimestamp\tr\nu\ti\t1\t4\nu\tj\t2\tfive\n"},
        {"interactions": {"path": "{tmp}/log.tsv", "format": "tsv", "rating": "r"}},
        ["log.tsv, line 3, column 'r'", "'five'"],
    ),
    "missing id": (
        {"log.csv": HEAD + "u,i,1\n,j,2\n"},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv, line 3, column 'user_id'", "missing id"],
    ),
    "empty file": (
        {"log.csv": ""},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv", "empty"],
    ),
    "header only": (
        {"log.csv": HEAD},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv", "no rows"],
    ),
    "ragged row, too many fields": (
        {"log.csv": HEAD + "u,i,1\nu,j,2\nu,k,3,extra\n"},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv, line 4", "expected 3 fields", "found 4"],
    ),
    "ragged row, too few fields": (
        {"log.csv": HEAD + "u,i,1\nu,j\n"},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv, line 3", "found 2"],
    ),
    "ragged atomic row": (
        {"shop/shop.inter": ATOMIC_HEAD + "u\ti\t1\nu\ti\t2\t9\n"},
        {"interactions": {"path": "{tmp}/shop", "format": "atomic"}},
        ["shop.inter, line 3", "found 4"],
    ),
    "ragged u.data row": (
        {"ml/u.data": "1\t2\t3\t4\n1\t2\t3\n"},
        {"interactions": {"path": "{tmp}/ml", "format": "movielens"}},
        ["u.data, line 2", "found 3"],
    ),
    "NUL bytes": (
        {"log.csv": HEAD.encode() + b"u,i,1\n\x00\x01\x02\xff\n"},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv, line 3", "binary"],
    ),
    "non-UTF-8 byte": (
        {"log.csv": HEAD.encode() + b"u,i,1\nu,caf\xe9,2\n"},
        {"interactions": {"path": "{tmp}/log.csv", "format": "csv"}},
        ["log.csv, line 3", "not utf-8"],
    ),
    "gzip that is not gzip": (
        {"log.csv.gz": "plain text"},
        {"interactions": {"path": "{tmp}/log.csv.gz", "format": "csv"}},
        ["log.csv.gz", "cannot read"],
    ),
    "not a parquet file": (
        {"log.parquet": "user_id,item_id\n"},
        {"interactions": {"path": "{tmp}/log.parquet", "format": "parquet"}},
        ["log.parquet", "not a readable Parquet file"],
    ),
    "malformed JSON line": (
        {"r.json": '{"reviewerID": "A", "asin": "B", "unixReviewTime": 1}\n{"reviewerID": "A",\n'},
        {"interactions": {"path": "{tmp}/r.json", "format": "amazon"}},
        ["r.json, line 2", "malformed JSON"],
    ),
    "malformed gzipped metadata line": (
        {
            "r.json": '{"reviewerID": "A", "asin": "B", "unixReviewTime": 1}\n',
            "meta_r.json.gz": gzip.compress(b'{"asin": "B"}\n\n{"asin": "C", title}\n'),
        },
        {"interactions": {"path": "{tmp}/r.json", "format": "amazon"}},
        ["meta_r.json.gz, line 3", "malformed JSON"],
    ),
    "unknown item text column": (
        {"log.csv": HEAD + "u,i,1\n", "items.csv": "item_id,name\ni,Lamp\n"},
        {
            "interactions": {"path": "{tmp}/log.csv", "format": "csv"},
            "items": {"path": "{tmp}/items.csv", "format": "csv", "text": ["title"]},
        },
        ["items.csv, column 'title'", "available columns: item_id, name"],
    ),
    "bad SQL URL": (
        {},
        {"interactions": {"path": "not a url", "format": "sql", "query": "events"}},
        ["not a url", "not a database URL"],
    ),
    "missing SQLite file": (
        {},
        {"interactions": {"path": "sqlite:///{tmp}/none.db", "format": "sql", "query": "t"}},
        ["none.db", "not found"],
    ),
    "missing table": (
        {"db.sqlite": b""},
        {"interactions": {"path": "sqlite:///{tmp}/db.sqlite", "format": "sql", "query": "nope"}},
        ["db.sqlite", "table 'nope' not found"],
    ),
    "SQL that is not one SELECT": (
        {"db.sqlite": b""},
        {
            "interactions": {
                "path": "sqlite:///{tmp}/db.sqlite",
                "format": "sql",
                "query": "DELETE FROM events",
            }
        },
        ["data.interactions.query", "one SELECT"],
    ),
}


def _fill(tree: Any, tmp: Path) -> Any:
    if isinstance(tree, dict):
        return {k: _fill(v, tmp) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_fill(v, tmp) for v in tree]
    return tree.replace("{tmp}", str(tmp)) if isinstance(tree, str) else tree


def assert_one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clear_line(
    case: str,
    tmp_path: Path,
    cli: Cli,
    write: Callable[[str, str | bytes], Path],
    config: Callable[[dict[str, Any]], Path],
) -> None:
    files, section, needles = CASES[case]
    for name, content in files.items():
        write(name, content)
    code, out, err = cli("data", "inspect", config(_fill(section, tmp_path)))
    assert_one_line(code, err, *needles)
    assert out == ""


def test_sql_value_errors_name_the_row(
    tmp_path: Path, cli: Cli, config: Callable[[dict[str, Any]], Path]
) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    pd.DataFrame(
        {"user_id": ["a", "b"], "item_id": ["x", "y"], "timestamp": ["2020-01-01", "?"]}
    ).to_sql("events", engine, index=False)
    engine.dispose()
    section = {
        "interactions": {
            "path": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "format": "sql",
            "query": "events",
        }
    }
    code, _, err = cli("data", "inspect", config(section))
    assert_one_line(code, err, "table events", "column 'timestamp'", "row 2", "'?'")


def test_malformed_yaml_names_line_and_column(tmp_path: Path, cli: Cli) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("data:\n  interactions:\n    path: [unclosed\n    format: csv\n")
    code, _, err = cli("data", "inspect", cfg)
    assert_one_line(code, err, "bad.yaml", "line", "column", "malformed YAML")


def test_unknown_config_field_names_it(tmp_path: Path, cli: Cli) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("data:\n  interactions:\n    path: x.csv\n    format: csv\n    colour: red\n")
    code, _, err = cli("data", "inspect", cfg)
    assert_one_line(code, err, "cfg.yaml", "data.interactions.colour", "unknown field")


def test_real_entry_point_prints_no_traceback(
    tmp_path: Path,
    write: Callable[[str, str | bytes], Path],
    config: Callable[[dict[str, Any]], Path],
) -> None:
    write("log.csv", HEAD + "u,i,1\nu,j,2,3\n")
    cfg = config({"interactions": {"path": str(tmp_path / "log.csv"), "format": "csv"}})
    proc = subprocess.run(
        [sys.executable, "-m", "recdistill", "data", "inspect", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_one_line(proc.returncode, proc.stderr, "log.csv, line 3", "found 4")
