"""What pages and API share: the site, who is calling, CSRF, language, templates.

Sessions: the cookie ``bvflow_session`` (HttpOnly, SameSite=Lax, Secure when
``[web] secure_cookies``) holds a random token (see :mod:`bvflow.users`).
CSRF: every form of a logged-in user carries the session's ``csrf_token``;
the login form, before there is a session, uses a double-submit cookie
``bvflow_login_csrf``. A form without the right token gets 403 and changes
nothing. The API does not use cookies at all — only ``Authorization: Bearer``
— so it needs no CSRF token.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..errors import AuthenticationError, PermissionDenied
from ..messages import fmt_date
from ..site import Site
from ..users import Principal, session_principal, token_principal
from .i18n import LANGUAGE_NAMES, LANGUAGES, translations

__all__ = [
    "LOGIN_CSRF_COOKIE", "SESSION_COOKIE", "LoginRequired", "api_principal", "check_csrf",
    "language", "page_principal", "render", "render_error", "site_of",
]

SESSION_COOKIE = "bvflow_session"
LOGIN_CSRF_COOKIE = "bvflow_login_csrf"
LANG_COOKIE = "bvflow_lang"

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "svg", "j2"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class LoginRequired(Exception):
    """A page needs a logged-in user; the app answers with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = quote(next_url, safe="")
        super().__init__(next_url)


def site_of(request: Request) -> Site:
    """The installation the app serves."""
    return request.app.state.site  # type: ignore[no-any-return]


def page_principal(request: Request, required: bool = True) -> Principal | None:
    """The logged-in user of a page request (session cookie).

    Raises: LoginRequired when ``required`` and nobody is logged in.
    """
    token = request.cookies.get(SESSION_COOKIE, "")
    who = session_principal(site_of(request), token) if token else None
    if who is None and required:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/")
    return who


def api_principal(request: Request) -> Principal:
    """The caller of an API request (``Authorization: Bearer <token>``).

    Raises: AuthenticationError (401) when the header is missing or the token unknown.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send an API token: Authorization: Bearer <token> "
                                  "(make one with `bvflow user token NAME`)")
    return token_principal(site_of(request), token.strip())


def check_csrf(who: Principal, sent: str) -> None:
    """Raise PermissionDenied (403) unless ``sent`` is the session's CSRF token."""
    if not who.csrf_token or not secrets.compare_digest(sent.encode(), who.csrf_token.encode()):
        raise PermissionDenied("send this form (its security token is missing or out of date; "
                               "reload the page)", "-")


def language(request: Request, who: Principal | None) -> str:
    """The page language: ``?lang=``, then the cookie, then the user's, then the site's."""
    for lang in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                 who.language if who else None, site_of(request).config.language):
        if lang in LANGUAGES:
            return lang
    return "nn"


def render(request: Request, template: str, context: dict[str, Any], who: Principal | None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render ``template`` in the caller's language with the shared context
    (``_``, ``lang``, ``who``, ``csrf``, ``fmt_date``, ``site_name``, ``languages``)."""
    lang = language(request, who)
    tr = translations(lang)
    site = site_of(request)
    ctx = {
        "_": tr.gettext, "ngettext": tr.ngettext, "lang": lang, "who": who,
        "csrf": who.csrf_token if who else "",
        "fmt_date": lambda d: fmt_date(d, lang) if isinstance(d, date) else "–",
        "languages": LANGUAGE_NAMES, "path": request.url.path,
        "partnerships": [(p.key, p.name) for p in site.config.partnerships
                         if who is not None and (who.is_admin or p.key in who.grants)],
    }
    ctx.update(context)
    html = _ENV.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="lax",
                            secure=site.config.web.secure_cookies)
    return response


def render_error(request: Request, status_code: int, message: str,
                 headers: Any = None) -> Response:
    """The error page (status ``status_code``) in the caller's language."""
    try:
        who = page_principal(request, required=False)
    except Exception:  # noqa: BLE001 - an error page must not fail on a broken session
        who = None
    return render(request, "error.html", {"status": status_code, "message": message}, who,
                  status_code=status_code, headers=dict(headers or {}))
