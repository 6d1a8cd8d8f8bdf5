"""Serving throughput on loopback: the student and teacher endpoints vs a static JSON endpoint.

Runs ``wrk`` (Debian package ``wrk``; ``scripts/setup --dev`` installs it) at
16 connections against:

- the floor: a static-JSON Starlette endpoint (orjson bytes of a 10-item
  response), served by uvicorn with the same settings as ``recdistill serve``;
- ``GET /v1/users/{id}/recommendations?k=10&model=student`` of
  ``recdistill serve RUN_DIR`` (requests rotate over ``--users`` users; the
  load starts once the server's background warm-up has filled the result
  cache, so these are cache hits: the answer a returning user gets);
- the same with ``model=teacher``;
- both again on a server started with ``--cache-size 0``: every request
  runs the model (``student-nocache``, ``teacher-nocache``; concurrent
  requests for a slow model are scored in batches on its own thread).

The floor's server runs throughout; each endpoint is loaded ``--rounds`` times
(``--duration`` seconds each), every round right after a run of the floor, and
its ratio is to that adjacent run: the machine's speed drifts within minutes,
so a floor measured once at the start is not a fair base. Prints per endpoint
the median requests/s, p50 and ratio, the worst round's p99, all errors, and
each round's ratio. Each server is pinned to core 0 and wrk to the other cores
(with 2+ cores). Targets: the uncached student (issue 13) ratio >= 0.5 with p99
<= 5 ms at 16 connections (p99 <= 20 ms at 64); the others (issue 5) ratio >=
0.4, p99 <= 10 ms; zero errors everywhere.

    .venv/bin/python bench/bench_serve.py runs/demo-quick
        [--rounds 3] [--duration 5] [--connections 16]

Everything listens on 127.0.0.1 only; each load run is bounded by ``--duration``.
The event store is a fresh SQLite file in a temporary folder (the run's own
``events.db`` is not touched).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECDISTILL = ROOT / ".venv" / "bin" / "recdistill"
TARGET_RATIO, TARGET_P99_MS = 0.4, 10.0  # issue 5
UNCACHED_RATIO = 0.5  # issue 13: the uncached student
# With 2+ cores each server runs on core 0 and the load (wrk) on the others, so the
# client's own CPU does not come out of the server's share (also bench_ingest.py).
CORES = sorted(os.sched_getaffinity(0))
SERVER_CPU = ["taskset", "-c", str(CORES[0])] if len(CORES) > 1 else []


def target(name: str, connections: int) -> tuple[float, float]:
    """``(least ratio to static, most p99 ms)`` for one endpoint's row."""
    if name == "student-nocache":
        return UNCACHED_RATIO, 5.0 if connections <= 16 else 20.0
    return TARGET_RATIO, TARGET_P99_MS


# The line wrk prints at the end of a run, parsed by wrk() (also bench_ingest.py).
RESULT_LUA = """  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
"""

LUA = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
""" + RESULT_LUA


def static_app() -> Any:
    """A Starlette app with one endpoint returning fixed JSON bytes (orjson)."""
    import orjson
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    doc = {
        "user_id": "U00000",
        "model": "student",
        "model_name": "static",
        "model_version": "000000000000",
        "policy": "known_user",
        "items": [
            {"item_id": f"P{i:05d}", "score": 1.0 / (i + 1), "title": f"Item {i}",
             "category": "Static > Endpoint"}
            for i in range(10)
        ],
    }
    body = orjson.dumps(doc)

    async def endpoint(request: Any) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/static/{user_id}", endpoint)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server not ready after {timeout:.0f}s: {url}")


def wait_warm(base: str, timeout: float = 300.0) -> dict[str, Any]:
    """/health once the server's background cache warm-up is over."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{base}/health") as r:
            health: dict[str, Any] = json.loads(r.read())
        if not health["cache"]["warming"] or time.monotonic() > deadline:
            return health
        time.sleep(0.5)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wrk(base: str, paths: list[str], args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    script = tmp / "paths.lua"
    script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths)}, encoding="utf-8")
    cmd = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
        "--timeout", "5s", "-s", str(script), base,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    r = json.loads(line[len("RESULT "):])
    seconds = r["duration_us"] / 1e6
    return {
        "rps": r["requests"] / seconds,
        "p50_ms": r["p50_us"] / 1000.0,
        "p99_ms": r["p99_us"] / 1000.0,
        "max_ms": r["max_us"] / 1000.0,
        "errors": r["errors"],
        "requests": r["requests"],
    }


def thread_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("RECDISTILL_API_TOKEN", None)  # read-only bench
    return env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path, help="run folder (recdistill demo --quick --out DIR)")
    ap.add_argument("--duration", type=int, default=5, help="seconds per load run")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds per endpoint, each right after a run of the static floor")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--users", type=int, default=500, help="distinct users requests rotate over")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--model", default=None,
                    help="serve this saved model in the student slot (recdistill serve --model)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: install it (apt-get install wrk, or scripts/setup --dev)")
    ds = json.loads((args.run_dir / "data" / "dataset.json").read_text(encoding="utf-8"))
    step = max(1, len(ds["users"]) // args.users)
    users = [str(u) for u in ds["users"][::step][: args.users]]
    quoted = [urllib.request.quote(u, safe="") for u in users]
    env = thread_env()
    if SERVER_CPU:
        os.sched_setaffinity(0, CORES[1:])  # wrk inherits it
    results: dict[str, dict[str, Any]] = {}
    statics: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        static = subprocess.Popen(
            [*SERVER_CPU, sys.executable, __file__, "_static", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}/static/x", static)
            static_base = f"http://127.0.0.1:{port}"
            static_paths = [f"/static/{u}" for u in quoted]
            for cache in ("50000", "0"):
                port = free_port()
                server = subprocess.Popen(
                    [*SERVER_CPU, str(RECDISTILL), "serve", str(args.run_dir), "--port",
                     str(port), "--store", f"sqlite:///{tmp / f'events-{cache}.db'}",
                     "--cache-size", cache, *(["--model", args.model] if args.model else [])],
                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                try:
                    wait_ready(f"http://127.0.0.1:{port}/health", server)
                    base = f"http://127.0.0.1:{port}"
                    health = wait_warm(base)
                    for slot in ("student", "teacher"):
                        if slot not in health["models"]:
                            continue
                        paths = [f"/v1/users/{u}/recommendations?k=10&model={slot}"
                                 for u in quoted]  # fmt: skip
                        rounds = []
                        for _ in range(args.rounds):  # the floor right before each load
                            statics.append(wrk(static_base, static_paths, args, tmp))
                            rounds.append(wrk(base, paths, args, tmp))
                            rounds[-1]["ratio"] = rounds[-1]["rps"] / statics[-1]["rps"]
                        name = slot if cache != "0" else f"{slot}-nocache"
                        results[name] = combine(rounds)
                finally:
                    stop(server)
        finally:
            stop(static)
    results = {"static": combine(statics), **results}
    report(results, health, args)


def combine(rounds: list[dict[str, float]]) -> dict[str, Any]:
    """Rounds of one load -> the medians of rate, p50 and ratio to the floor, the worst
    p99, all errors, and each round's ratio."""
    out: dict[str, Any] = {
        k: statistics.median(r[k] for r in rounds) for k in ("rps", "p50_ms", "ratio")
        if k in rounds[0]
    }  # fmt: skip
    out["p99_ms"] = max(r["p99_ms"] for r in rounds)
    out["max_ms"] = max(r["max_ms"] for r in rounds)
    out["errors"] = sum(r["errors"] for r in rounds)
    out["requests"] = sum(r["requests"] for r in rounds)
    out["ratios"] = [round(r["ratio"], 2) for r in rounds if "ratio" in r]
    return out


def report(results: dict[str, dict[str, Any]], health: dict[str, Any],
           args: argparse.Namespace) -> None:
    where = f"servers on core {CORES[0]}, wrk on the others" if SERVER_CPU else "one core"
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s x {args.rounds} rounds "
          f"per endpoint, each after a run of the static floor; loopback, {os.cpu_count()} "
          f"cores ({where}); medians, worst p99")
    print(f"{'endpoint':<16} {'model':<18} {'req/s':>9} {'ratio':>6} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'errors':>6}  target  (ratio per round)")
    ok_all = True
    for name, r in results.items():
        model = health["models"].get(name.removesuffix("-nocache"), {})
        ratio = r.get("ratio", 1.0)
        least, p99 = target(name, args.connections)
        ok = name == "static" or (ratio >= least and r["p99_ms"] <= p99 and r["errors"] == 0)
        ok_all &= ok
        label = f"{model.get('name', '-')}" + (f" ({model.get('kind')})" if model else "")
        rounds = " ".join(f"{x:.2f}" for x in r["ratios"])
        print(f"{name:<16} {label:<18} {r['rps']:>9.0f} {ratio:>6.2f} {r['p50_ms']:>7.2f} "
              f"{r['p99_ms']:>7.2f} {int(r['errors']):>6}  "
              f"{'-' if name == 'static' else ('ok' if ok else 'MISSED')}  {rounds}")
    for suffix in ("", "-nocache"):
        if f"teacher{suffix}" in results and f"student{suffix}" in results:
            ratio = results[f"student{suffix}"]["rps"] / results[f"teacher{suffix}"]["rps"]
            print(f"student / teacher requests/s{suffix and ' (no cache)'}: {ratio:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "models": health["models"]},
                                        indent=2), encoding="utf-8")
    print("all targets met" if ok_all else "some targets missed")


def _serve_static(port: int) -> None:
    import uvicorn

    uvicorn.run(static_app(), host="127.0.0.1", port=port, log_level="warning",
                access_log=False, http="httptools", loop="uvloop")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "_static":
        _serve_static(int(sys.argv[sys.argv.index("--port") + 1]))
    else:
        main()
