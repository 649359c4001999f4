"""Users, their roles per partnership, logins, web sessions and API tokens.

Roles (issue: web dashboard): an installation **administrator**
(``User.is_admin``) may do everything everywhere; in one partnership a user is
a **steering**-group member, a municipal **secretary** (bound to one party) or
an **observer** (read only) — one :class:`~bvflow.models.Membership` per
partnership. What each role may do is decided in :mod:`bvflow.authz`.

Secrets: passwords are kept as Argon2id hashes (argon2-cffi); session cookies
and API tokens are random 256-bit strings of which only the SHA-256 is stored.
Failed logins per user name are slowed down: from the third failure on, a new
attempt is refused for 1, 2, 4 … seconds, at most 15 minutes
(:data:`THROTTLE_FREE_FAILURES`, :data:`THROTTLE_MAX_SECONDS`).
All instants are UTC from ``site.clock``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from .db import unit_of_work
from .engine import clean_text
from .errors import AuthenticationError, InputError, NotFoundError
from .models import ApiToken, LoginThrottle, Membership, Partnership, Party, User, WebSession
from .site import Scope, Site

__all__ = [
    "ROLES", "TOKEN_SCOPES", "Grant", "Principal", "UserInfo", "add_user", "authenticate", "create_token",
    "end_session", "grant", "list_users", "principal_of", "revoke", "session_principal",
    "set_disabled", "set_password", "start_session", "token_principal",
]

#: roles a membership can have, in order of rights
ROLES = ("steering", "secretary", "observer")
#: languages a user may choose for the pages
LANGUAGES = ("nn", "nb", "en")
#: failed logins allowed before attempts are slowed down
THROTTLE_FREE_FAILURES = 2
#: the longest a user name is blocked after repeated failures
THROTTLE_MAX_SECONDS = 900
MIN_PASSWORD_LENGTH = 10

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_HASHER = PasswordHasher()
# verified against when the user name is unknown, so both cases take as long
_DUMMY_HASH = _HASHER.hash("bvflow-no-such-user")
_REFUSED = "wrong user name or password"


@dataclass(frozen=True)
class Grant:
    """A user's role in one partnership; ``party`` is the secretary's party key."""

    role: str
    party: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user and its grants by partnership key.

    ``csrf_token`` is set for a browser session (the token every form must
    carry), empty for API tokens.
    """

    user_id: int
    username: str
    display_name: str
    is_admin: bool
    language: str
    grants: dict[str, Grant] = field(default_factory=dict)
    csrf_token: str = ""

    @property
    def actor(self) -> str:
        """The name written to the audit trail: ``"web:<username>"``."""
        return f"web:{self.username}"


@dataclass(frozen=True)
class UserInfo:
    """A user as listed by ``bvflow user list`` (no secrets)."""

    username: str
    display_name: str
    email: str
    is_admin: bool
    disabled: bool
    grants: dict[str, Grant]

    def to_dict(self) -> dict[str, object]:
        return {"username": self.username, "display_name": self.display_name, "email": self.email,
                "admin": self.is_admin, "disabled": self.disabled,
                "roles": {k: {"role": g.role, "party": g.party} for k, g in self.grants.items()}}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _username(value: str) -> str:
    name = value.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InputError("username", value, "use 1–64 letters a–z, digits and . _ @ -, starting with "
                                            "a letter or digit")
    return name


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise InputError("password", "(hidden)", f"use at least {MIN_PASSWORD_LENGTH} characters")
    if "\x00" in value or len(value) > 1024:
        raise InputError("password", "(hidden)", "use at most 1024 characters and no NUL")
    return value


def _user(s: Session, username: str) -> User:
    row = s.exec(select(User).where(User.username == username.strip().lower())).first()
    if row is None:
        raise NotFoundError("username", username, "no such user; see `bvflow user list`")
    return row


def _grant_row(s: Session, user: User, scope: Scope, role: str, party: str | None) -> None:
    party_id = scope.party_ids[party] if role == "secretary" and party else None
    row = s.exec(select(Membership).where(Membership.user_id == user.id,
                                          Membership.partnership_id == scope.id)).first()
    if row is None:
        row = Membership(user_id=user.id, partnership_id=scope.id, role=role)  # type: ignore[arg-type]
    row.role, row.party_id = role, party_id
    s.add(row)


def _check_grant(site: Site, partnership: str | None, role: str, party: str | None) -> Scope:
    """The scope a grant is for, after checking role and party (before any write)."""
    if role not in ROLES:
        raise InputError("role", role, f"use one of {', '.join(ROLES)}")
    scope = site.scope(partnership)
    if role == "secretary":
        if not party:
            raise InputError("party", party, "a secretary is bound to one party; give --party")
        if party not in scope.party_ids:
            raise NotFoundError("party", party, f"not a party of {scope.key}; parties: "
                                f"{', '.join(scope.party_ids)}")
    elif party:
        raise InputError("party", party, f"only a secretary is bound to a party, not a {role}")
    return scope


def add_user(site: Site, username: str, password: str, *, display_name: str = "", email: str = "",
             admin: bool = False, partnership: str | None = None, role: str | None = None,
             party: str | None = None, language: str = "") -> UserInfo:
    """Create a user, optionally with a role in one partnership (see :func:`grant`).

    Raises: InputError (``username``, ``password`` shorter than
    :data:`MIN_PASSWORD_LENGTH`, ``role``, ``party``, ``language``),
    ConflictError (the user name is taken).
    """
    name = _username(username)
    _password(password)
    clean_text("display_name", display_name)
    if language and language not in LANGUAGES:
        raise InputError("language", language, f"use one of {', '.join(LANGUAGES)}")
    if role is None and party:
        raise InputError("role", role, "give --role secretary with --party")
    scope = _check_grant(site, partnership, role, party) if role is not None else None
    with unit_of_work(site.engine, f"user {name}") as s:
        if s.exec(select(User).where(User.username == name)).first() is not None:
            raise InputError("username", username, "that user name is taken")
        user = User(username=name, display_name=display_name.strip(), email=email.strip(),
                    password_hash=_HASHER.hash(password), is_admin=admin, language=language,
                    created_at=site.clock.now())
        s.add(user)
        s.flush()
        if scope is not None:
            _grant_row(s, user, scope, role, party)  # type: ignore[arg-type]
    return next(u for u in list_users(site) if u.username == name)


def grant(site: Site, username: str, partnership: str | None, role: str, party: str | None = None
          ) -> None:
    """Give ``username`` ``role`` in ``partnership`` (replacing its role there).

    Raises: NotFoundError (``username``, ``party``), InputError (``role``;
    ``party`` missing for a secretary or given for another role),
    DefinitionError (unknown partnership).
    """
    scope = _check_grant(site, partnership, role, party)
    with unit_of_work(site.engine, f"user {username}") as s:
        user = _user(s, username)
        _grant_row(s, user, scope, role, party)


def revoke(site: Site, username: str, partnership: str | None) -> None:
    """Take away ``username``'s role in ``partnership``. Raises: NotFoundError."""
    scope = site.scope(partnership)
    with unit_of_work(site.engine, f"user {username}") as s:
        user = _user(s, username)
        row = s.exec(select(Membership).where(Membership.user_id == user.id,
                                              Membership.partnership_id == scope.id)).first()
        if row is None:
            raise NotFoundError("partnership", scope.key, f"{user.username} has no role there")
        s.delete(row)


def list_users(site: Site) -> list[UserInfo]:
    """Every user with its roles, by user name."""
    with unit_of_work(site.engine) as s:
        users = s.exec(select(User).order_by(col(User.username))).all()
        grants = _grants(s, [u.id for u in users])  # type: ignore[misc]
    return [UserInfo(u.username, u.display_name, u.email, u.is_admin, u.disabled,
                     grants.get(u.id, {})) for u in users]  # type: ignore[arg-type]


def _grants(s: Session, user_ids: list[int]) -> dict[int, dict[str, Grant]]:
    out: dict[int, dict[str, Grant]] = {}
    rows = s.exec(select(Membership, Partnership.key, Party.key)
                  .join(Partnership, col(Partnership.id) == Membership.partnership_id)
                  .join(Party, col(Party.id) == Membership.party_id, isouter=True)
                  .where(col(Membership.user_id).in_(user_ids))).all()
    for m, pkey, party_key in rows:
        out.setdefault(m.user_id, {})[pkey] = Grant(m.role, party_key)
    return out


def set_disabled(site: Site, username: str, disabled: bool = True) -> None:
    """Disable (or enable again) a user. Disabling ends its sessions and
    revokes its API tokens at once. Raises: NotFoundError."""
    now = site.clock.now()
    with unit_of_work(site.engine, f"user {username}") as s:
        user = _user(s, username)
        user.disabled = disabled
        s.add(user)
        if disabled:
            for ws in s.exec(select(WebSession).where(WebSession.user_id == user.id)):
                s.delete(ws)
            for tok in s.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                                     col(ApiToken.revoked_at).is_(None))):
                tok.revoked_at = now
                s.add(tok)


def set_password(site: Site, username: str, password: str) -> None:
    """Set a new password; ends the user's sessions. Raises: NotFoundError, InputError."""
    _password(password)
    with unit_of_work(site.engine, f"user {username}") as s:
        user = _user(s, username)
        user.password_hash = _HASHER.hash(password)
        s.add(user)
        for ws in s.exec(select(WebSession).where(WebSession.user_id == user.id)):
            s.delete(ws)


TOKEN_SCOPES = ("api", "calendar")


def create_token(site: Site, username: str, label: str = "", scope: str = "api") -> str:
    """Make a token for ``username`` and return it (shown once; only its
    SHA-256 is kept). ``scope``: ``api`` — the JSON API with the user's rights;
    ``calendar`` — only the read-only calendar feed (for subscription URLs).

    Raises: NotFoundError, InputError (disabled user, unknown ``scope``)."""
    if scope not in TOKEN_SCOPES:
        raise InputError("scope", scope, f"use one of {', '.join(TOKEN_SCOPES)}")
    token = ("bvf_" if scope == "api" else "bvfcal_") + secrets.token_urlsafe(32)
    clean_text("label", label)
    with unit_of_work(site.engine, f"user {username}") as s:
        user = _user(s, username)
        if user.disabled:
            raise InputError("username", username, "the user is disabled")
        s.add(ApiToken(user_id=user.id, token_hash=_digest(token), label=label.strip()[:200],  # type: ignore[arg-type]
                       scope=scope, created_at=site.clock.now()))
    return token


def principal_of(s: Session, user: User, csrf_token: str = "") -> Principal:
    """The :class:`Principal` of a stored user (one query for its grants)."""
    return Principal(user.id, user.username, user.display_name or user.username,  # type: ignore[arg-type]
                     user.is_admin, user.language, _grants(s, [user.id]).get(user.id, {}),  # type: ignore[list-item,arg-type]
                     csrf_token)


def authenticate(site: Site, username: str, password: str) -> Principal:
    """Check a user name and password.

    Every attempt is counted *before* the password is checked, in one
    transaction that holds the user name's throttle row (SQLite: the write
    lock; PostgreSQL: ``SELECT … FOR UPDATE``), so parallel attempts cannot
    all slip in before a failure is recorded; a correct password then clears
    the count. Rows of names that have not failed for a day are pruned.

    Raises: AuthenticationError — wrong name or password, disabled user (one
    message for all), or too many failures in a row: then ``retry_after``
    gives the seconds to wait and the password is not even checked.
    """
    key = username.strip().lower()[:64]
    now = site.clock.now()
    with unit_of_work(site.engine, "login", immediate=True) as s:
        insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
        s.execute(insert(LoginThrottle).values(key=key, failures=0).on_conflict_do_nothing())
        throttle = s.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).one()
        if throttle.blocked_until and throttle.blocked_until > now:
            wait = int((throttle.blocked_until - now).total_seconds()) + 1
            raise AuthenticationError(f"too many failed logins; try again in {wait} s", wait)
        throttle.failures += 1  # counted now; cleared below when the password is right
        throttle.last_failure_at = now
        over = throttle.failures - THROTTLE_FREE_FAILURES
        if over > 0:
            throttle.blocked_until = now + timedelta(seconds=min(2 ** (over - 1), THROTTLE_MAX_SECONDS))
        s.add(throttle)
        s.execute(delete(LoginThrottle).where(col(LoginThrottle.last_failure_at) < now - timedelta(days=1)))
        user = s.exec(select(User).where(User.username == key)).first()
        stored = user.password_hash if user else _DUMMY_HASH
    try:
        ok = _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or user.disabled:
        raise AuthenticationError(_REFUSED)
    with unit_of_work(site.engine, "login") as s:
        s.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
        fresh = s.get(User, user.id)
        assert fresh is not None
        if _HASHER.check_needs_rehash(fresh.password_hash):
            fresh.password_hash = _HASHER.hash(password)
            s.add(fresh)
        return principal_of(s, fresh)


def start_session(site: Site, principal: Principal) -> tuple[str, str]:
    """Open a web session for ``principal`` lasting ``[web] session_hours``:
    returns (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = site.clock.now()
    with unit_of_work(site.engine, "session") as s:
        for old in s.exec(select(WebSession).where(WebSession.user_id == principal.user_id,
                                                   WebSession.expires_at < now)):
            s.delete(old)
        s.add(WebSession(token_hash=_digest(token), user_id=principal.user_id, csrf_token=csrf,
                         created_at=now,
                         expires_at=now + timedelta(hours=site.config.web.session_hours)))
    return token, csrf


def session_principal(site: Site, token: str) -> Principal | None:
    """The principal of a session cookie, or None when the session is unknown,
    expired or its user disabled."""
    if not token or len(token) > 200:
        return None
    now = site.clock.now()
    with unit_of_work(site.engine) as s:
        row = s.exec(select(WebSession, User).join(User, col(User.id) == WebSession.user_id)
                     .where(WebSession.token_hash == _digest(token))).first()
        if row is None:
            return None
        ws, user = row
        if ws.expires_at <= now or user.disabled:
            return None
        return principal_of(s, user, ws.csrf_token)


def end_session(site: Site, token: str) -> None:
    """Log out: forget the session of this cookie (no error if unknown)."""
    with unit_of_work(site.engine, "session") as s:
        row = s.get(WebSession, _digest(token))
        if row is not None:
            s.delete(row)


def token_principal(site: Site, token: str, scope: str = "api") -> Principal:
    """The principal of a token made for ``scope``. Raises: AuthenticationError
    (unknown, revoked, made for another scope, or the user is disabled)."""
    now = site.clock.now()
    with unit_of_work(site.engine, "api token") as s:
        row = s.exec(select(ApiToken, User).join(User, col(User.id) == ApiToken.user_id)
                     .where(ApiToken.token_hash == _digest(token))).first()
        if row is None or row[0].revoked_at is not None or row[1].disabled:
            raise AuthenticationError("unknown or revoked token")
        if row[0].scope != scope:
            raise AuthenticationError(f"this is a {row[0].scope} token; it does not work for the "
                                      f"{'JSON API' if scope == 'api' else 'calendar feed'}")
        tok, user = row
        if tok.last_used_at is None or now - tok.last_used_at > timedelta(minutes=5):
            tok.last_used_at = now  # at most every five minutes: reads stay reads
            s.add(tok)
        return principal_of(s, user)
