"""``recdistill doctor``: what this machine offers recdistill, as one short table.

It reports the Python and torch versions (and torch's build: CPU-only, CUDA or
ROCm), the CPU and the features that decide the training precision (AVX-512
BF16 and AMX from ``/proc/cpuinfo``, torch's own capability report, and the
precision :class:`~recdistill.train.device.Precision` would pick), the CUDA
devices, the thread settings, which text encoders and optional extras are
installed (from package metadata: no model is loaded), and, given a store URL,
whether that database answers.

Nothing here fails on a missing feature: each row says what was found. Only a
malformed ``--store`` URL is an error (:class:`~recdistill.errors.UserError`).

Example::

    findings = collect(store="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    print_report(findings)        # area | item | found
"""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from recdistill.errors import ConfigError, UserError

if TYPE_CHECKING:
    import sqlalchemy as sa

#: CPU flags (``/proc/cpuinfo`` names) that matter here: vector width, bf16 dot
#: products (training under autocast), int8 dot products (int8 students)
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")

#: optional packages: the row's name -> (the recdistill extra that installs it, the
#: distributions that provide it)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "onnxruntime": ("onnx", ("onnxruntime", "onnxruntime-gpu")),
    "mlflow": ("mlflow", ("mlflow", "mlflow-skinny")),
}

STORE_TIMEOUT_S = 3
"""Seconds to wait for a database connection before calling it unreachable."""


@dataclass(frozen=True)
class Finding:
    """One row of the report: ``area`` (e.g. ``"torch"``), ``item`` and what was found."""

    area: str
    item: str
    found: str


def collect(store: str | None = None) -> list[Finding]:
    """Every finding, in report order; ``store`` adds the event store's row.

    Raises:
        UserError: ``store`` is not a usable database URL (checked before anything else).
    """
    url = parse_store_url(store) if store is not None else None
    import torch

    rows = [
        Finding("python", "version", f"{platform.python_version()} ({sys.executable})"),
        Finding("recdistill", "version", _dist_version("recdistill") or "not installed"),
        Finding("torch", "version", torch.__version__),
        Finding("torch", "build", torch_build()),
        *cpu_findings(),
        *cuda_findings(),
        *thread_findings(),
        *encoder_findings(),
        *extra_findings(),
    ]
    if url is not None:
        rows.append(Finding("store", url.get_backend_name(), check_store(url)))
    return rows


def print_report(findings: list[Finding]) -> None:
    """Print ``findings`` as a rich table on stdout (200 columns wide when not a terminal)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="recdistill doctor", show_lines=False)
    table.add_column("area", style="bold")
    table.add_column("item")
    table.add_column("found", overflow="fold")
    last = ""
    for f in findings:
        # Text, not markup: "pip install 'recdistill[text]'" must keep its brackets
        table.add_row(f.area if f.area != last else "", f.item, Text(f.found))
        last = f.area
    Console(width=None if sys.stdout.isatty() else 200).print(table)


# --------------------------------------------------------------------------- torch, CPU, GPU


def torch_build() -> str:
    """``CPU-only``, ``CUDA 12.8`` or ``ROCm 6.3``: what this torch wheel was built for."""
    import torch

    if torch.version.cuda:
        return f"CUDA {torch.version.cuda}"
    hip = getattr(torch.version, "hip", None)
    return f"ROCm {hip}" if hip else "CPU-only"


def cpuinfo(path: Path = Path("/proc/cpuinfo")) -> tuple[str, set[str]]:
    """The CPU's model name and flag set from ``/proc/cpuinfo`` (``("", set())`` off Linux)."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return "", set()
    model, flags = "", set[str]()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key in ("flags", "Features") and not flags:  # x86 | arm64
            flags = set(value.split())
    return model, flags


def cpu_findings() -> list[Finding]:
    """The CPU's model, the flags in :data:`CPU_FLAGS`, torch's view and the CPU precision."""
    import torch

    from recdistill.train.device import Precision

    model, flags = cpuinfo()
    if flags:
        have = [f for f in CPU_FLAGS if f in flags]
        lacks = [f for f in CPU_FLAGS if f not in flags]
        shown = f"{' '.join(have) or 'none of them'}; absent: {' '.join(lacks) or '-'}"
    else:
        shown = "unknown (no /proc/cpuinfo)"
    try:
        caps = dict(torch.cpu.get_capabilities())
    except (AttributeError, RuntimeError):  # older torch: no capability report
        caps = {}
    bf16_keys = ("avx512_bf16", "amx_bf16", "amx_tile")
    torch_view = torch.backends.cpu.get_cpu_capability()
    if caps:
        torch_view += "; " + " ".join(f"{k}={'yes' if caps.get(k) else 'no'}" for k in bf16_keys)
    precision = Precision.for_device(torch.device("cpu"))
    why = "native bf16 dot products" if precision.dtype else "no AVX-512 BF16 or AMX-BF16"
    return [
        Finding("cpu", "model", model or platform.processor() or platform.machine()),
        Finding("cpu", "features", shown),
        Finding("cpu", "torch's view", torch_view),
        Finding("cpu", "training precision", f"{precision.name} ({why}; precision: auto)"),
    ]


def cuda_findings() -> list[Finding]:
    """One row per visible CUDA device (name, memory, precision), or one row saying none."""
    import torch

    from recdistill.train.device import Precision

    if not torch.cuda.is_available():
        why = " (this torch is CPU-only)" if torch_build() == "CPU-only" else ""
        return [Finding("cuda", "devices", f"none{why}")]
    rows = [Finding("cuda", "devices", str(torch.cuda.device_count()))]
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        precision = Precision.for_device(torch.device("cuda", i))
        rows.append(
            Finding(
                "cuda",
                f"cuda:{i}",
                f"{props.name}, {props.total_memory / 2**30:.1f} GiB, "
                f"compute {props.major}.{props.minor}, training precision {precision.name}",
            )
        )
    return rows


def thread_findings() -> list[Finding]:
    """Cores this process may use, torch's thread pools, the thread variables and the
    thread count training would take (:func:`~recdistill.train.device.default_threads`)."""
    import torch

    from recdistill.train.device import default_threads

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 1
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
    env = " ".join(f"{k}={os.environ[k]}" for k in names if k in os.environ)
    pools = f"intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}"
    training = f"{default_threads()} (the cores idle now; the config key threads sets it)"
    return [
        Finding("threads", "cores", f"{usable} usable of {os.cpu_count()}"),
        Finding("threads", "torch", pools),
        Finding("threads", "environment", env or f"{', '.join(names)} unset"),
        Finding("threads", "training default", training),
    ]


# --------------------------------------------------------------------------- packages


def _dist_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def encoder_findings() -> list[Finding]:
    """Each registered text and image encoder: installed (with its packages' versions) or
    what to install.

    Reads package metadata only (:meth:`~recdistill.text.encoders.PackagedModel.version`);
    no model library is imported and no weights are loaded.
    """
    from recdistill.images.encoders import IMAGE_ENCODERS
    from recdistill.text.encoders import ENCODERS, PackagedModel

    rows = []
    registries: list[tuple[str, dict[str, PackagedModel]]] = [
        ("text encoders", dict(ENCODERS)),
        ("image encoders", dict(IMAGE_ENCODERS)),
    ]
    for area, registry in registries:
        for name, spec in registry.items():
            try:
                spec.version()
            except ConfigError as exc:
                found = f"not installed ({exc})"
            else:
                found = "installed: " + ", ".join(
                    f"{d} {_dist_version(d)}" for d in spec.versioned_by
                )
            rows.append(Finding(area, name, found))
    return rows


def extra_findings() -> list[Finding]:
    """Each optional extra in :data:`EXTRAS`: the distribution and version found, or not."""
    rows = []
    for name, (extra, dists) in EXTRAS.items():
        found = next(
            (f"installed: {d} {v}" for d in dists if (v := _dist_version(d)) is not None),
            f"not installed (pip install 'recdistill[{extra}]')",
        )
        rows.append(Finding("extras", name, found))
    return rows


# --------------------------------------------------------------------------- event store


def parse_store_url(store: str) -> sa.URL:
    """The parsed ``--store`` URL (SQLite or PostgreSQL).

    Raises:
        UserError: not a database URL, a bad port, or another database.
    """
    import sqlalchemy as sa

    expected = "expected sqlite:///PATH or postgresql+psycopg://user@host/db"
    try:
        url = sa.engine.make_url(store)
    except (sa.exc.ArgumentError, ValueError) as exc:  # ValueError: a port that is no number
        detail = f" ({exc})" if isinstance(exc, ValueError) else ""
        raise UserError(f"--store: not a database URL: {store!r}{detail}; {expected}") from None
    if url.port is not None and not 0 < url.port < 65536:
        raise UserError(f"--store: port {url.port} is not in 1..65535")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise UserError(f"--store: unsupported database '{url.get_backend_name()}'; {expected}")
    return url


def check_store(url: sa.URL, timeout_s: int = STORE_TIMEOUT_S) -> str:
    """Whether the store answers: ``reachable: PostgreSQL 16.4 (URL)`` or ``unreachable: ...``.

    PostgreSQL is connected to (``timeout_s`` at most) and asked its version; an
    SQLite file is only looked at (connecting would create it).

    Raises:
        UserError: no driver for the URL (e.g. ``postgresql+nosuch://``).
    """
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        return _check_sqlite(url.database or "", shown)
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(
            url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": max(1, timeout_s)}
        )
    except (ImportError, sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise UserError(f"--store: cannot use {shown}: {_first_line(exc)}") from None
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar()
    except sa.exc.SQLAlchemyError as exc:
        return f"unreachable: {shown}: {_first_line(exc)}"
    finally:
        engine.dispose()
    return f"reachable: PostgreSQL {version} ({shown})"


def _check_sqlite(database: str, shown: str) -> str:
    if not database or database == ":memory:":
        return "in-memory SQLite: not durable (recdistill serve needs a file)"
    path = Path(database)
    if path.is_file():
        return f"reachable: SQLite {sqlite3.sqlite_version}, {path} ({path.stat().st_size:,} bytes)"
    if not path.parent.is_dir():
        return f"unreachable: {shown}: folder {path.parent} does not exist"
    return f"not created yet: {path} (recdistill serve creates it); SQLite {sqlite3.sqlite_version}"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__
