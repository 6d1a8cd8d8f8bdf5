"""The HTTP routes, one router per area; :func:`recdistill.serve.app.create_app` mounts them.

- :mod:`.recommendations` - ``GET /v1/users/{id}/recommendations`` (answered by
  the fast path, declared here for the schema) and ``POST /v1/recommendations``;
- :mod:`.events` - ``POST /v1/events`` (authenticated);
- :mod:`.catalogue` - items, users, the run's summary;
- :mod:`.operations` - health, Prometheus metrics, hot reload;
- :mod:`.page` - the page at ``/`` and its static files.

Routes read the app's state through :mod:`.deps` (the service, the metrics,
the token), never through closures.
"""

from recdistill.serve.routes import catalogue, events, operations, page, recommendations

ROUTERS = [
    recommendations.router,
    events.router,
    catalogue.router,
    operations.router,
    page.router,
]

__all__ = ["ROUTERS"]
