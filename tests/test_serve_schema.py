"""Schemathesis against ``/openapi.json``: generated requests, every response checked.

Runs in-process (ASGI) on the SQLite store with the write token, so the write
routes are exercised too; the examples per operation are bounded
(``RECDISTILL_SCHEMATHESIS_EXAMPLES``, default 25) to keep CI short. Every
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
from test_serve_units import TOKEN, tiny_run  # noqa: E402

from recdistill.serve import ServeOptions, create_app  # noqa: E402

EXAMPLES = int(os.environ.get("RECDISTILL_SCHEMATHESIS_EXAMPLES", "25"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    run = tiny_run(tmp_path_factory, tmp_path_factory.mktemp("schema") / "run")
    app = create_app(ServeOptions(run_dir=Path(run), warm=0), token=TOKEN)
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


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_published(case: Any) -> None:
    case.call_and_validate(headers=AUTH)
