"""Options of one server process (from the command line, passed to every worker)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from recdistill.errors import UserError
from recdistill.runfolder import RunFolder

TOKEN_ENV = "RECDISTILL_API_TOKEN"
_OPTIONS_ENV = "RECDISTILL_SERVE_OPTIONS"


@dataclass(frozen=True)
class ServeOptions:
    """What ``recdistill serve`` was asked for.

    Attributes:
        run_dir: the run folder whose models and data are served.
        store: event store URL (None: ``sqlite:///RUN_DIR/events.db``).
        model: serve this saved model in the student slot (None: chosen from metrics.json).
        sync: follow events other processes commit, on a background thread
            (PostgreSQL: woken by NOTIFY; SQLite: polled every 20 ms), so every
            replica reflects the others' writes within milliseconds; on with
            several workers or a PostgreSQL store; None: decide from the two.
        workers: uvicorn worker processes.
        max_body_bytes: largest accepted request body.
        cache_size: users whose top-100 lists are kept per model slot (0: no cache);
            an event for a user invalidates that user's lists.
        warm: after start (and each reload), compute the lists of this many users,
            most recently active first, on a background thread (0: none).
    """

    run_dir: Path
    store: str | None = None
    model: str | None = None
    sync: bool | None = None
    workers: int = 1
    max_body_bytes: int = 256 * 1024
    cache_size: int = 50_000
    warm: int = 10_000

    def store_url(self) -> str:
        from recdistill.serve.store import default_url

        return self.store or default_url(self.run_dir)

    def syncing(self) -> bool:
        if self.sync is not None:
            return self.sync
        return self.workers > 1 or not self.store_url().startswith("sqlite")

    def to_env(self) -> None:
        doc = asdict(self)
        doc["run_dir"] = str(self.run_dir)
        os.environ[_OPTIONS_ENV] = json.dumps(doc)

    @staticmethod
    def from_env() -> ServeOptions:
        doc = json.loads(os.environ[_OPTIONS_ENV])
        doc["run_dir"] = Path(doc["run_dir"])
        return ServeOptions(**doc)


def api_token(run_dir: Path | None = None) -> str | None:
    """The bearer token for write endpoints (None: writes off).

    ``RECDISTILL_API_TOKEN`` first; else the run config's ``serve.token_file``
    (the file's contents) or ``serve.token`` in ``run_dir/config.json``.
    """
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token or run_dir is None:
        return token or None
    cfg_file = run_dir / "config.json"
    try:
        serve = RunFolder(run_dir).config_tree().get("serve") or {}
    except (OSError, UserError):
        return None
    if serve.get("token_file"):
        path = Path(serve["token_file"]).expanduser()
        try:
            token = path.read_text("utf-8").strip()
        except OSError as exc:
            raise UserError(f"{cfg_file}: serve.token_file {path}: {exc.strerror}") from None
    elif serve.get("token"):
        token = str(serve["token"]).strip()
    return token or None
