"""Schemathesis against ``/openapi.json``: generated requests, every response checked.

Runs in-process (ASGI) with the write token, so the write routes are exercised
too, once on the SQLite store and once on PostgreSQL (a fresh schema); the
examples per operation are bounded (``RECDISTILL_SCHEMATHESIS_EXAMPLES``,
default 25) to keep CI short. Every
check of schemathesis runs: no 5xx, every status and content type documented,
bodies and headers as the schema says, invalid data refused, valid data
accepted (with the statuses valid-looking data can still earn listed: an
item id that is well-formed but not in the catalogue is a 422, an unknown
item a 404, a reused ``event_id`` a 409).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from test_serve_api import AUTH  # noqa: E402
from test_serve_store import pg_url  # noqa: E402, F401  (fixture)
from test_serve_units import TOKEN, tiny_run  # noqa: E402

from recdistill.serve import ServeOptions, create_app  # noqa: E402

EXAMPLES = int(os.environ.get("RECDISTILL_SCHEMATHESIS_EXAMPLES", "25"))

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api_schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    run = tiny_run(tmp_path_factory, tmp_path_factory.mktemp("schema") / "run")
    store = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    app = create_app(ServeOptions(run_dir=Path(run), warm=0, store=store), token=TOKEN)
    config = schemathesis.Config.from_dict(
        {
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "404", "409", "422"]
                }
            }
        }
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


def test_api_answers_as_published(api_schema: Any) -> None:
    """Every operation, ``EXAMPLES`` generated requests each; all failures listed at once.

    (The operations are walked here rather than through schemathesis's pytest plugin,
    which does not load under this project's pytest 9.)
    """
    from hypothesis import given

    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        op = result.ok()
        operations += 1

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def check(case: Any) -> None:
            case.call_and_validate(headers=AUTH)

        try:
            check()
        except Exception as exc:  # collect every operation's failure
            failures.append(f"{op.label}: {str(exc)[:2000]}")
    assert operations >= 9
    assert not failures, "\n\n".join(failures)
