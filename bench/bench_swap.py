"""Hot swap under load: every request answered while the models are reloaded.

Starts ``recdistill serve RUN_DIR`` (result cache off, so every request runs
a model) on a fresh SQLite store and, with ``--pg URL``, on a fresh schema of
that PostgreSQL database; ``--clients`` threads each keep one connection and
send recommendation requests, alternating ``model=teacher`` and
``model=student``, with a client timeout of ``--timeout`` s, while the main
thread reloads the models ``--reloads`` times (``POST /v1/admin/reload``, one
second apart). Prints, per store, requests answered by status, requests that
timed out or failed, the slowest answer and the reloads that succeeded.
Target (issue 13): every request answered, none after its timeout.

    .venv/bin/python bench/bench_swap.py runs/demo-quick [--pg postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import TOKEN, drop_schema, pg_schema, served


def load(port: int, users: list[str], timeout: float, stop: threading.Event,
         out: dict[str, Any], lock: threading.Lock, seed: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    n = seed
    while not stop.is_set():
        model = "teacher" if n % 2 else "student"
        path = f"/v1/users/{users[n % len(users)]}/recommendations?k=10&model={model}"
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            key = str(r.status)
        except TimeoutError:
            key = "timed out"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        except (OSError, http.client.HTTPException) as exc:
            key = f"failed ({type(exc).__name__})"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        took = time.perf_counter() - t0
        with lock:
            out[key] = out.get(key, 0) + 1
            out["slowest_s"] = max(out.get("slowest_s", 0.0), took)
        n += 1
    conn.close()


def reload(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def one_store(label: str, url: str, args: argparse.Namespace, users: list[str],
              tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with served(args.run_dir, url, tmp / f"{label}.log") as base:
        port = int(base.rsplit(":", 1)[1])
        stop, lock = threading.Event(), threading.Lock()
        threads = [threading.Thread(target=load, args=(port, users, args.timeout, stop, out,
                                                       lock, 7 * c)) for c in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        statuses = []
        for _ in range(args.reloads):
            statuses.append(reload(port))
            time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=args.timeout + 5)
        out["clients still waiting"] = sum(t.is_alive() for t in threads)
        out["reloads"] = statuses
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--pg", default=None)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--reloads", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=10.0, help="client timeout per request")
    args = ap.parse_args()
    ds = json.loads((args.run_dir / "data" / "dataset.json").read_text(encoding="utf-8"))
    users = [str(u) for u in ds["users"][:500]]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-swap-") as name:
        tmp = Path(name)
        results["sqlite"] = one_store("sqlite", f"sqlite:///{tmp / 'events.db'}", args, users,
                                      tmp)
        if args.pg:
            url, handle = pg_schema(args.pg)
            try:
                results["postgresql"] = one_store("pg", url, args, users, tmp)
            finally:
                drop_schema(handle)
    ok_all = True
    for store, r in results.items():
        bad = {k: v for k, v in r.items() if k not in ("200", "slowest_s", "reloads",
                                                        "clients still waiting")}
        ok = not bad and not r["clients still waiting"] and set(r["reloads"]) == {200}
        ok_all &= ok
        print(f"[{store}] {args.clients} clients (teacher and student), {args.reloads} reloads "
              f"{r['reloads']}: {r.get('200', 0):,} answered 200, others {bad or 'none'}, "
              f"slowest {r.get('slowest_s', 0.0) * 1000:.0f} ms, clients still waiting "
              f"{r['clients still waiting']}  {'ok' if ok else 'MISSED'}")
    print("all targets met" if ok_all else "some targets missed")


if __name__ == "__main__":
    main()
