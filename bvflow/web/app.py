"""The web application: FastAPI app factory, error mapping and security headers.

``create_app(site)`` builds the app for one installation; ``bvflow serve``
runs it under uvicorn together with the scheduler. The pages
(:mod:`bvflow.web.pages`) and the JSON API (:mod:`bvflow.web.api`) are thin
shells over the same service functions as the CLI: they parse input, check
the role (:mod:`bvflow.authz`), call the service and show its result.

Errors: a bvflow error becomes a status code here, in one place
(:data:`STATUS_OF`); the API answers JSON ``{"error": {"type", "message",
"field", "value"}}``, the pages an error page in the user's language. An
unexpected exception is logged and answered with 500 and no stack trace.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import (
    AuthenticationError,
    BvflowError,
    ConflictError,
    DefinitionError,
    InputError,
    NotFoundError,
    PermissionDenied,
    TransitionNotAllowed,
)
from ..site import Site
from . import api, pages
from .common import LoginRequired, render_error

__all__ = ["STATUS_OF", "create_app", "status_of"]

log = logging.getLogger("bvflow.web")

#: HTTP status of each bvflow error (most specific first)
STATUS_OF: list[tuple[type[BvflowError], int]] = [
    (NotFoundError, 404),
    (InputError, 422),
    (TransitionNotAllowed, 409),
    (ConflictError, 409),
    (PermissionDenied, 403),
    (AuthenticationError, 401),
    (DefinitionError, 404),  # only an unknown partnership key reaches the web layer
]

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'"),
}


def _safe(value: Any) -> Any:
    """A value that JSON can carry: text with lone surrogates replaced, others as text."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")[:200]
    if isinstance(value, bool | int | float | type(None)):
        return value
    return _safe(str(value))


def status_of(exc: BvflowError) -> int:
    """The HTTP status for a bvflow error (429 for a throttled login)."""
    if isinstance(exc, AuthenticationError) and exc.retry_after:
        return 429
    return next((code for cls, code in STATUS_OF if isinstance(exc, cls)), 400)


def public_message(exc: BvflowError) -> str:
    """The error's message for a web user: never a path on the server."""
    if isinstance(exc, DefinitionError):
        return f"no such partnership: {exc.value!r}"
    return str(exc)


def error_body(exc: BvflowError) -> dict[str, Any]:
    """The JSON error shape: ``{"error": {"type", "message", "field", "value"}}``."""
    field = getattr(exc, "field", None) or getattr(exc, "key", None)
    value = getattr(exc, "value", None)
    if isinstance(exc, DefinitionError):
        field = "partnership"
    if field == "password":
        value = None
    return {"error": {"type": type(exc).__name__, "message": _safe(public_message(exc)), "field": field,
                      "value": _safe(value)}}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


#: the largest request body accepted: a resolution text is at most 200,000
#: characters (bvflow.engine.MAX_TEXT), a few bytes each
MAX_BODY_BYTES = 2 * 1024 * 1024


class BodyLimit:
    """ASGI middleware: answer 413 to a request body over ``max_bytes``, by its
    Content-Length or while it streams in, before anything reads it whole."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = (b'{"error": {"type": "InputError", "field": null, "value": null, '
                b'"message": "the request body is larger than 2 MiB"}}')
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(site: Site) -> FastAPI:
    """The web app for ``site`` (its config, database and clock).

    Routes: the pages at ``/`` (see :mod:`bvflow.web.pages`), the JSON API at
    ``/api/v1`` with its OpenAPI document at ``/api/v1/openapi.json``, static
    files at ``/static``.
    """
    app = FastAPI(title="bvflow", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None,
                  description="Plans, versions, status matrix, findings and history of "
                              "inter-municipal plans; record resolutions and steering-group "
                              "actions. Authenticate with `Authorization: Bearer <token>` "
                              "(`bvflow user token NAME`).")
    app.state.site = site
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.url.path == "/api/v1/docs":
            # Swagger UI: FastAPI's page loads it from a CDN with an inline start script
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
                "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: "
                "https://fastapi.tiangolo.com; frame-ancestors 'none'")
        for k, v in _SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(BvflowError)
    async def bvflow_error(request: Request, exc: BvflowError) -> Response:
        code = status_of(exc)
        headers = {}
        if isinstance(exc, AuthenticationError):
            if exc.retry_after:
                headers["Retry-After"] = str(exc.retry_after)
            elif _is_api(request):
                headers["WWW-Authenticate"] = "Bearer"
        if _is_api(request):
            return JSONResponse(error_body(exc), status_code=code, headers=headers)
        return render_error(request, code, public_message(exc), headers)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("body", "query", "path", "header")]
        field = ".".join(loc) or None
        msg = first.get("msg", "invalid request")
        value = first.get("input")
        body = {"error": {"type": "InputError", "message": _safe(f"{field}: {msg}" if field else msg),
                          "field": field, "value": _safe(value) if not isinstance(value, dict | list)
                          else None}}
        if _is_api(request):
            return JSONResponse(body, status_code=422)
        return render_error(request, 422, body["error"]["message"])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"error": {"type": "HTTPError", "message": str(exc.detail),
                                           "field": None, "value": None}},
                                status_code=exc.status_code, headers=exc.headers)
        from .common import language
        from .i18n import translations

        words = {404: "This page does not exist.", 405: "This address does not take that method."}
        gettext = translations(language(request, None)).gettext
        message = gettext(words[exc.status_code]) if exc.status_code in words else str(exc.detail)
        return render_error(request, exc.status_code, message, exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if _is_api(request):
            return JSONResponse({"error": {"type": "InternalError", "field": None, "value": None,
                                           "message": "internal error; it has been logged"}},
                                status_code=500)
        return render_error(request, 500, "internal error; it has been logged")

    return app
