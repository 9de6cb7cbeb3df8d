"""Local accounts: create, authenticate (with a login rate limit), and who may see what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from indexing.access import Viewer
from records.accounts import ROLES, LoginFailure, User
from records.db import utcnow
from review_ui.security import dummy_verify, hash_password, verify_password

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=5)
# roles whose work needs full ID numbers; everyone else sees them masked
ID_ROLES = frozenset({"admin", "reviewer", "registrar"})


class AccountError(ValueError):
    """A bad account request (unknown role, duplicate name, weak password)."""


class TooManyAttempts(Exception):
    """Login refused without checking the password: too many recent failures."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The logged-in person, as the request handlers see them."""

    username: str
    roles: frozenset[str]
    may_see_adoption: bool

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)

    @property
    def may_see_ids(self) -> bool:
        return bool(self.roles & ID_ROLES)

    @property
    def viewer(self) -> Viewer:
        return Viewer(may_see_adoption=self.may_see_adoption, may_see_ids=self.may_see_ids)


def principal(user: User) -> Principal:
    return Principal(user.username, frozenset(str(r) for r in user.roles or ()),
                     bool(user.may_see_adoption))


def add_user(s: Session, username: str, password: str, roles: list[str],
             may_see_adoption: bool = False) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("username must be 1..64 characters")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise AccountError(f"roles must be some of {', '.join(ROLES)} (got {bad or 'none'})")
    if len(password) < 8:
        raise AccountError("password must be at least 8 characters")
    if s.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} exists already")
    user = User(username=username, password_hash=hash_password(password),
                roles=sorted(set(roles)), may_see_adoption=may_see_adoption)
    s.add(user)
    s.flush()
    return user


def find_user(s: Session, username: str) -> User | None:
    return s.scalar(select(User).where(User.username == username, User.active.is_(True)))


def authenticate(s: Session, username: str, password: str, ip: str) -> Principal | None:
    """The principal, or None for a wrong name/password; raises :class:`TooManyAttempts`.

    Failures are counted per username+IP so one attacker cannot lock out a user
    working from another machine."""
    since = utcnow() - FAILURE_WINDOW
    failures = s.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.username == username, LoginFailure.ip == ip, LoginFailure.at >= since)) or 0
    if failures >= MAX_FAILURES:
        raise TooManyAttempts(f"too many failed logins; try again in "
                              f"{int(FAILURE_WINDOW.total_seconds() // 60)} minutes")
    user = find_user(s, username)
    if user is None:
        dummy_verify()
    elif verify_password(user.password_hash, password):
        s.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                             LoginFailure.ip == ip))
        return principal(user)
    s.add(LoginFailure(username=username[:64], ip=ip[:64]))
    s.execute(delete(LoginFailure).where(LoginFailure.at < since))
    return None
