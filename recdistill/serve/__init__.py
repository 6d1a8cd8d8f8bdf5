"""Real-time serving: the HTTP API, the event store, hot swap and the page.

Public surface:

- :class:`ServeOptions` - what ``recdistill serve`` was asked for.
- :func:`create_app` - the ASGI app (FastAPI) for those options.
- :func:`run_server` - run it under uvicorn (one or several workers).

See ``docs/serving.md``.
"""

from recdistill.serve.app import create_app
from recdistill.serve.options import ServeOptions
from recdistill.serve.server import run_server

__all__ = ["ServeOptions", "create_app", "run_server"]
