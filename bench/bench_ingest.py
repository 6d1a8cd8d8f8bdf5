"""Durable ingestion on loopback: acknowledged events per second, and reads beside writes.

Starts ``recdistill serve RUN_DIR`` on a fresh store and runs ``wrk`` (Debian
package ``wrk``) against it:

1. ``ingest``: ``--writers`` keep-alive connections POST ``/v1/events`` as fast
   as they are answered for ``--duration`` s, each event with a unique
   ``event_id``; every acknowledged id is recorded, and after the server has
   stopped the store is opened and each acknowledged event looked up (an ack
   is sent only after the commit that holds the event, so none may be missing);
2. ``reads``: 16 connections of uncached student recommendations (the result
   cache off, requests rotating over 500 users), read-only;
3. ``mixed``: the same reads while events are posted at ``--rate`` per second
   (an open-loop client: one event every ``1/rate`` s on the next free of 16
   keep-alive connections, whatever the answers' latency; its acks are checked
   like the others).

On SQLite (a fresh file) and, with ``--pg URL``, on PostgreSQL (a fresh schema
in that database, dropped afterwards, with ``--holes`` rolled-back inserts
before the server starts). The PostgreSQL read rate is compared with
SQLite's (target: >= 0.8). Targets (issue 13): >= 1,000
acknowledged events/s with 16 writers on each store, every acknowledged event
stored; mixed reads within 20% of read-only, writes at their rate.

    .venv/bin/python bench/bench_ingest.py runs/demo-quick [--pg postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import CORES, RECDISTILL, RESULT_LUA, SERVER_CPU, free_port, stop, wait_ready

TOKEN = "bench-token-0123456789"
TARGET_EVENTS_S, TARGET_MIXED = 1000.0, 0.8

POST_LUA = """
local users = {%(users)s}
local items = {%(items)s}
local counter = 0
local threads = {}
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
function init(args)
  n = 0
  acked = {}
  statuses = {}
end
request = function()
  n = n + 1
  local eid = "%(prefix)s" .. tid .. "-" .. n
  local body = '{"user_id":"' .. users[n %% #users + 1] .. '","item_id":"' ..
    items[(n * 7 + tid) %% #items + 1] .. '","event_id":"' .. eid .. '"}'
  return wrk.format("POST", "/v1/events", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(token)s"}, body)
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 or status == 200 then
    local eid = string.match(body, '"event_id":"([^"]+)"')
    if eid then table.insert(acked, eid) end
  end
end
done = function(summary, latency, requests)
  local f = io.open("%(acked)s", "w")
  for _, t in ipairs(threads) do
    for _, eid in ipairs(t:get("acked")) do f:write(eid, "\\n") end
    for status, count in pairs(t:get("statuses")) do
      io.write(string.format('STATUS %%d %%d\\n', status, count))
    end
  end
  f:close()
""" + RESULT_LUA


def post_script(tmp: Path, users: list[str], items: list[str], name: str) -> tuple[Path, Path]:
    acked = tmp / f"{name}.acked"
    script = tmp / f"{name}.lua"
    script.write_text(POST_LUA % {
        "users": ", ".join(json.dumps(u) for u in users),
        "items": ", ".join(json.dumps(i) for i in items),
        "prefix": f"{name}-", "token": TOKEN, "acked": acked,
    }, encoding="utf-8")  # fmt: skip
    return script, acked


async def paced_posts(port: int, rate: float, seconds: float, users: list[str],
                      items: list[str], connections: int = 16) -> dict[str, Any]:
    """POST one event every ``1/rate`` s (open loop) for ``seconds``; acks and latencies."""
    loop = asyncio.get_running_loop()
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        free.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    acked: list[str] = []
    latency: list[float] = []
    statuses: dict[int, int] = {}
    late = 0

    async def post(n: int, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        reader, writer = conn
        body = json.dumps({"user_id": users[n % len(users)], "item_id": items[n % len(items)],
                           "event_id": f"paced-{n}"}).encode()
        t0 = loop.time()
        writer.write(b"POST /v1/events HTTP/1.1\r\nHost: bench\r\nContent-Type: "
                     b"application/json\r\nAuthorization: Bearer " + TOKEN.encode() +
                     b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        doc = await reader.readexactly(length)
        latency.append(loop.time() - t0)
        status = int(head.split(b" ")[1])
        statuses[status] = statuses.get(status, 0) + 1
        if status in (200, 201):
            acked.append(json.loads(doc)["event_id"])
        free.put_nowait(conn)

    tasks = []
    start = loop.time()
    n = 0
    while (due := start + n / rate) < start + seconds:
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        if free.empty():
            late += 1  # every connection busy: this event goes out late
        tasks.append(asyncio.ensure_future(post(n, await free.get())))
        n += 1
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    while not free.empty():
        free.get_nowait()[1].close()
    latency.sort()
    return {"rps": len(acked) / elapsed, "sent": n, "late": late, "acked": acked,
            "statuses": statuses, "p50_ms": 1000 * latency[len(latency) // 2],
            "p99_ms": 1000 * latency[int(len(latency) * 0.99)]}


def run_wrk(base: str, script: Path, connections: int, duration: int) -> dict[str, Any]:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        base,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    r = json.loads(line[len("RESULT ") :])
    statuses = {
        int(a): int(b)
        for _, a, b in (x.split() for x in out.splitlines() if x.startswith("STATUS "))
    }
    seconds = r["duration_us"] / 1e6
    return {
        "rps": r["requests"] / seconds,
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "errors": r["errors"],
        "statuses": statuses,
        "seconds": seconds,
    }


@contextmanager
def served(run_dir: Path, store: str, log: Path) -> Any:
    port = free_port()
    env = {**os.environ, "RECDISTILL_API_TOKEN": TOKEN, "OMP_NUM_THREADS": "1"}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                *SERVER_CPU,
                str(RECDISTILL),
                "serve",
                str(run_dir),
                "--port",
                str(port),
                "--store",
                store,
                "--cache-size",
                "0",
                "--warm",
                "0",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}/health", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def stored_ids(store_url: str) -> set[str]:
    from recdistill.serve.store import EventStore

    store = EventStore(store_url)
    try:
        return {ev.event_id for chunk in store.scan() for ev in chunk}
    finally:
        store.dispose()


def one_store(
    label: str,
    store_url: str,
    args: argparse.Namespace,
    tmp: Path,
    users: list[str],
    items: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    log = tmp / f"{label}.log"
    reads = [
        f"/v1/users/{urllib.request.quote(u, safe='')}/recommendations?k=10" for u in users[:500]
    ]
    from bench_serve import LUA as READ_LUA

    read_script = tmp / f"{label}-reads.lua"
    read_script.write_text(
        READ_LUA % {"paths": ", ".join(json.dumps(p) for p in reads)}, encoding="utf-8"
    )
    with served(args.run_dir, store_url, log) as base:
        script, acked_file = post_script(tmp, users, items, f"{label}-ingest")
        out["ingest"] = run_wrk(base, script, args.writers, args.duration)
        out["reads"] = run_wrk(base, read_script, 16, args.duration)
        box: dict[str, Any] = {}
        port = int(base.rsplit(":", 1)[1])
        writer = threading.Thread(target=lambda: box.update(w=asyncio.run(
            paced_posts(port, args.rate, args.duration, users, items))))
        writer.start()
        out["mixed_reads"] = run_wrk(base, read_script, 16, args.duration)
        writer.join()
        out["mixed_writes"] = box["w"]
    ingested = set(acked_file.read_text().split())
    acked = ingested | set(out["mixed_writes"].pop("acked"))
    have = stored_ids(store_url)
    out["acked"] = len(acked)
    out["missing"] = len(acked - have)
    out["acked_ingest"] = len(ingested)
    return out


def make_holes(store_url: str, n: int) -> None:
    """``n`` rolled-back inserts, then one committed event: ``n`` holes in the sequence
    below it (each was a gap the server once carried in every sync query)."""
    import sqlalchemy as sa

    from recdistill.serve.store import EventStore

    store = EventStore(store_url)
    store.migrate()
    with store.engine.connect() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO events (event_id, user_id, item_id, timestamp, "
                "received_at) SELECT 'hole-' || g, 'x', 'x', 0, now() "
                "FROM generate_series(1, :n) g"
            ),
            {"n": n},
        )
        conn.rollback()
    store.append("hole-user", "hole-item", 0, "after-the-holes")
    store.dispose()


def pg_schema(url: str) -> tuple[str, Any]:
    import sqlalchemy as sa

    schema = f"rd_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", (admin, schema)


def drop_schema(handle: Any) -> None:
    import sqlalchemy as sa

    admin, schema = handle
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--pg", default=None, help="PostgreSQL URL (a fresh schema is made in it)")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--writers", type=int, default=16)
    ap.add_argument("--rate", type=float, default=500.0, help="events/s beside the reads")
    ap.add_argument(
        "--holes",
        type=int,
        default=5000,
        help="holes made in the PostgreSQL sequence before the server starts",
    )
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if SERVER_CPU:
        os.sched_setaffinity(0, CORES[1:])  # wrk and the paced client inherit it
    ds = json.loads((args.run_dir / "data" / "dataset.json").read_text(encoding="utf-8"))
    step = max(1, len(ds["users"]) // 500)
    users = [str(u) for u in ds["users"][::step][:500]]
    items = [str(i) for i in ds["items"]][:2000]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as name:
        tmp = Path(name)
        results["sqlite"] = one_store(
            "sqlite", f"sqlite:///{tmp / 'events.db'}", args, tmp, users, items
        )
        if args.pg:
            url, handle = pg_schema(args.pg)
            try:
                make_holes(url, args.holes)
                results["postgresql"] = one_store("pg", url, args, tmp, users, items)
            finally:
                drop_schema(handle)
    report(results, args)


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    where = f"server on core {CORES[0]}, load on the others" if SERVER_CPU else "one core"
    print(f"wrk, loopback, {os.cpu_count()} cores ({where}), {args.duration} s per load")
    ok_all = True
    for store, r in results.items():
        ing, rd, mr, mw = r["ingest"], r["reads"], r["mixed_reads"], r["mixed_writes"]
        events_s = r["acked_ingest"] / ing["seconds"]
        ok_ing = events_s >= TARGET_EVENTS_S and r["missing"] == 0 and ing["errors"] == 0
        mixed = mr["rps"] / rd["rps"]
        ok_mix = mixed >= TARGET_MIXED and mw["rps"] >= 0.95 * args.rate
        ok_all &= ok_ing and ok_mix
        print(
            f"[{store}] ingest, {args.writers} writers: {events_s:,.0f} acknowledged events/s "
            f"(p50 {ing['p50_ms']:.2f} ms, p99 {ing['p99_ms']:.2f} ms, statuses "
            f"{ing['statuses']}, wrk errors {ing['errors']})  {'ok' if ok_ing else 'MISSED'}"
        )
        print(
            f"[{store}] acknowledged {r['acked']:,} events in all, missing from the store "
            f"after stop: {r['missing']}"
        )
        print(
            f"[{store}] reads alone: {rd['rps']:,.0f} req/s (p99 {rd['p99_ms']:.2f} ms); "
            f"beside {mw['rps']:,.0f} events/s: {mr['rps']:,.0f} req/s (p99 "
            f"{mr['p99_ms']:.2f} ms), {mixed:.2f} of read-only; writes p50 "
            f"{mw['p50_ms']:.2f} ms, p99 {mw['p99_ms']:.2f} ms, {mw['late']} of "
            f"{mw['sent']} sent late, statuses {mw['statuses']}  {'ok' if ok_mix else 'MISSED'}"
        )
    if "postgresql" in results:
        ratio = results["postgresql"]["reads"]["rps"] / results["sqlite"]["reads"]["rps"]
        ok = ratio >= 0.8
        ok_all &= ok
        print(
            f"uncached reads, PostgreSQL ({args.holes:,} holes in its sequence) / SQLite: "
            f"{ratio:.2f}  {'ok' if ok else 'MISSED'}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print("all targets met" if ok_all else "some targets missed")


if __name__ == "__main__":
    main()
