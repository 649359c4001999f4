"""The web layer: server-rendered pages and the JSON API (see :mod:`bvflow.web.app`)."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
