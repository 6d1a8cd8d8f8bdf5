"""Running the app under uvicorn: thread pinning, workers, the worker factory."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Any

from recdistill.serve.options import ServeOptions

log = logging.getLogger("recdistill.serve")

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads() -> None:
    """One compute thread per process: a serving worker answers small requests, and
    thread hand-offs cost more than they save (a transformer pass took ~2 ms on one
    thread and >100 ms on two on a loaded 2-core machine)."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    import torch

    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):  # already set once in this process
        torch.set_num_interop_threads(1)


def worker_app() -> object:
    """Uvicorn factory for ``--workers N``: each worker builds its own app."""
    from recdistill.serve.app import create_app

    if not logging.getLogger().handlers:  # a spawned worker: log like the parent, to stderr
        logging.basicConfig(level=logging.INFO, format="%(levelname)-8s %(message)s")
    pin_threads()
    return create_app(ServeOptions.from_env())


def run_server(options: ServeOptions, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted. Migrates the store once before any worker starts."""
    import uvicorn

    from recdistill.serve.app import create_app
    from recdistill.serve.store import EventStore

    pin_threads()
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": False,
        "http": "httptools",
        "loop": "uvloop" if sys.platform != "win32" else "asyncio",
        "timeout_graceful_shutdown": 10,
        "log_config": None,  # keep recdistill's logging setup
    }
    if options.workers > 1:
        store = EventStore(options.store_url())
        store.migrate()
        store.dispose()
        options.to_env()
        log.info("serve: starting %d workers on http://%s:%d", options.workers, host, port)
        uvicorn.run(
            "recdistill.serve.server:worker_app", factory=True, workers=options.workers, **common
        )
        return
    app = create_app(options)
    log.info("serve: listening on http://%s:%d (page at /, API docs at /docs)", host, port)
    uvicorn.run(app, **common)
