"""Shoal's REST API: a thin FastAPI face over the store, the analysis and the engine.

``create_app(store_or_home)`` builds the application; ``shoal serve`` runs it under
uvicorn. See docs/api-server.md for the endpoints, authentication and errors.
"""

from shoal.server._app import create_app
from shoal.server._auth import Access, is_loopback, parse_api_keys

__all__ = ["Access", "create_app", "is_loopback", "parse_api_keys"]
