"""Secrets, password hashes, signed session cookies and CSRF tokens.

Everything here is stateless apart from the secret file: a session is a signed
cookie (itsdangerous), so the server keeps no session table, and the secret lives
in the data directory so sessions survive a restart but not a new installation.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "dangan_session"
SESSION_MAX_AGE = 12 * 3600  # a working day; after that, log in again
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify() -> None:
    """Spend the time of one verification, so unknown usernames are not faster to reject."""
    verify_password(_DUMMY_HASH, "not the password")


_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


def load_secret(home: Path) -> bytes:
    """The signing key in ``<home>/web-secret``, created (mode 0600) on first use."""
    path = home / "web-secret"
    if path.exists():
        return path.read_bytes()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


@dataclass
class SessionData:
    """What the cookie carries: who is logged in (or nobody) and their CSRF token."""

    username: str | None
    csrf: str
    dirty: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"u": self.username, "c": self.csrf}


class SessionCodec:
    def __init__(self, secret: bytes) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="dangan-session")

    def dumps(self, data: SessionData) -> str:
        return self._s.dumps(data.to_dict())

    def loads(self, cookie: str | None) -> SessionData | None:
        if not cookie:
            return None
        try:
            d = self._s.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(d, dict) or not isinstance(d.get("c"), str):
            return None
        user = d.get("u")
        return SessionData(username=user if isinstance(user, str) else None, csrf=d["c"])
