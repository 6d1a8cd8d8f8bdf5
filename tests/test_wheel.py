"""The wheel on its own: build it, install it into a fresh venv (its dependencies
included), and run `recdistill --version`, `doctor`, `demo --quick` and `serve` from a
folder outside the checkout, so nothing can come from the source tree.

About two minutes on 2 cores (109-133 s measured), mostly the install (pip takes torch
and the rest from its index or its cache; `--no-compile` skips byte-compiling torch: 46 s
instead of 107 s) and the demo, run with a 40 s budget (about a minute; packaging is under
test here, not quality). The venv (about 2 GB) is deleted afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: what a clean checkout lacks (and what would slow the copy): never part of a build
TOP_IGNORED = {".git", ".venv", "runs", "data", "dist", "build", "shared"}
IGNORED_ANYWHERE = shutil.ignore_patterns("*.egg-info", "__pycache__", ".*_cache")


def ignored(folder: str, names: list[str]) -> set[str]:
    """``copytree``'s filter: the folders above at the top, caches and build metadata anywhere."""
    top = TOP_IGNORED & set(names) if Path(folder) == ROOT else set()
    return top | IGNORED_ANYWHERE(folder, names)


def run(cmd: list[str | Path], cwd: Path, timeout: float) -> str:
    """Run ``cmd`` (bounded by ``timeout``); its stdout, or a failure showing both streams."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        pytest.fail(f"{cmd[0]} {cmd[1]}: exit {done.returncode}\n{done.stdout[-3000:]}"
                    f"\n{done.stderr[-3000:]}")  # fmt: skip
    return done.stdout


def make_venv(where: Path) -> Path:
    """A fresh Python 3.11 venv (skips when ``python3.11 -m venv`` is unavailable)."""
    python = shutil.which("python3.11")
    if python is None:
        pytest.skip("python3.11 not on PATH: cannot make a fresh venv for the wheel")
    done = subprocess.run(
        [python, "-m", "venv", str(where)], capture_output=True, text=True, timeout=180
    )
    if done.returncode != 0:
        pytest.skip(f"python3.11 -m venv unavailable: {done.stderr.strip().splitlines()[-1:]}")
    return where / "bin"


def build_wheel(tmp_path: Path) -> Path:
    """Build the sdist and, from it, the wheel of a copy of the checkout; the wheel's path."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=ignored)
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--outdir", dist, src], cwd=tmp_path, timeout=600)
    (wheel,) = dist.glob("recdistill-*.whl")
    package = src / "recdistill"
    wanted = {p.relative_to(src).as_posix() for p in package.rglob("*") if p.is_file()}
    missing = wanted - set(zipfile.ZipFile(wheel).namelist())
    assert not missing, f"files of the package not in the wheel: {sorted(missing)}"
    return wheel


def get(port: int, path: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.getheader("content-type") or "", r.read()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_and_check(bin_dir: Path, run_dir: Path, cwd: Path) -> None:
    """Start the installed `recdistill serve`, check /health, the page, /docs and one list."""
    port = free_port()
    log = cwd / "serve.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(bin_dir / "recdistill"), "serve", str(run_dir), "--port", str(port)],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        health = wait_healthy(proc, port, log, timeout=120)
        assert health["status"] == "ok" and health["store"]["revision"], health
        status, kind, page = get(port, "/")
        assert status == 200 and kind.startswith("text/html") and b"<title>recdistill" in page
        for asset in ("/static/page.js", "/static/page.css", "/docs"):
            assert get(port, asset)[0] == 200, asset
        with (run_dir / "source" / "interactions.csv").open(encoding="utf-8") as fh:
            user = fh.readlines()[1].split(",")[0]
        status, _, body = get(port, f"/v1/users/{user}/recommendations?k=5")
        answer = json.loads(body)
        assert status == 200 and answer["model"] == "student" and len(answer["items"]) == 5
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"recdistill serve exited {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            status, _, body = get(port, "/health")
            if status == 200:
                return json.loads(body)
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"recdistill serve not healthy in {timeout:.0f} s: {log.read_text()[-3000:]}")


def test_the_wheel_installs_runs_the_demo_and_serves(tmp_path: Path) -> None:
    bin_dir = make_venv(tmp_path / "venv")
    try:
        check_installed(bin_dir, build_wheel(tmp_path), tmp_path)
    finally:  # about 2 GB (torch): pytest would keep it with its last temporary folders
        shutil.rmtree(tmp_path / "venv", ignore_errors=True)


def check_installed(bin_dir: Path, wheel: Path, tmp_path: Path) -> None:
    """Install ``wheel`` with its dependencies; run version, doctor, the demo and serve."""
    run([bin_dir / "pip", "install", "--no-compile", wheel], cwd=tmp_path, timeout=1200)
    work = tmp_path / "elsewhere"  # not the checkout: imports must come from the venv
    work.mkdir()
    where = run([bin_dir / "python", "-c", "import recdistill; print(recdistill.__file__)"],
                cwd=work, timeout=60)  # fmt: skip
    assert Path(where.strip()).is_relative_to(tmp_path / "venv"), where
    version = run([bin_dir / "recdistill", "--version"], cwd=work, timeout=120)
    assert version.strip() == metadata.version("recdistill")
    assert "torch" in run([bin_dir / "recdistill", "doctor"], cwd=work, timeout=120)
    run_dir = work / "demo"
    run([bin_dir / "recdistill", "demo", "--quick", "--budget", "40s", "--out", run_dir],
        cwd=work, timeout=900)  # fmt: skip
    assert (run_dir / "report.html").is_file()
    serve_and_check(bin_dir, run_dir, work)
