"""Users, their roles and sites, and their API tokens (stored hashed)."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import secrets
from typing import ClassVar

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.access import Role  # Role is access's; the modules that use it take it from here too
from clinic.db import enum_column, utcnow
from clinic.extensions import Model, db
from clinic.sites.models import Organisation, Site

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, with the same parameters as real ones (made once per process)."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_nobody(password: str) -> bool:
    """The work of checking a password, for a sign-in with no such user: the answer takes as long
    for an unknown e-mail as for a wrong password. Always False."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)
    return False


user_sites = sa.Table(
    "user_sites",
    db.Model.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("site_id", sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Model):
    __tablename__ = "users"
    organisation_given: ClassVar[bool] = True  # an administrator's, set by whoever makes them (clinic.tenancy)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    language: Mapped[str | None] = mapped_column(sa.String(2))
    active: Mapped[bool] = mapped_column(default=True)
    # An administrator of one organisation only; NULL for every other user (see organisation_ids).
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    # Changing this value ends every session of the user at once (logout everywhere, deactivation).
    session_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sites: Mapped[list[Site]] = relationship(secondary=user_sites, order_by="Site.name")
    organisation: Mapped[Organisation | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_deployment_admin(self) -> bool:
        """An administrator given neither an organisation nor a site: the whole deployment."""
        return self.is_admin and self.organisation_id is None and not self.sites

    @classmethod
    def organisation_clause(cls, ids: set[int]) -> sa.ColumnElement[bool]:
        """Users of those organisations, for clinic.tenancy: working at one of their sites, or
        administering one."""
        at_site = sa.select(user_sites.c.user_id).join(Site, Site.id == user_sites.c.site_id).where(
            Site.organisation_id.in_(ids))
        return sa.or_(cls.id.in_(at_site), cls.organisation_id.in_(ids))

    def organisation_ids(self) -> set[int] | None:
        """The organisations the user works for (those of their sites, and the one an organisation's
        administrator administers), or None for the deployment's administrator (every one)."""
        if self.is_deployment_admin:
            return None
        ids = {s.organisation_id for s in self.sites}
        if self.is_admin and self.organisation_id is not None:
            ids.add(self.organisation_id)
        return ids

    def can_access_site(self, site_id: int) -> bool:
        ids = self.site_ids()
        return ids is None or site_id in ids

    def site_ids(self) -> set[int] | None:
        """The ids of the user's sites; an administrator has every site of their organisations,
        the deployment's administrator None (every site)."""
        if not self.is_admin:
            return {s.id for s in self.sites}
        orgs = self.organisation_ids()
        if orgs is None:
            return None
        return set(db.session.scalars(sa.select(Site.id).where(Site.organisation_id.in_(orgs))))


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]  # None: until revoked

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
        """A new token for the user, valid `days` days (None: until revoked); the raw value is
        returned once and never stored."""
        raw = "clk_" + secrets.token_urlsafe(32)
        expires = utcnow() + dt.timedelta(days=days) if days else None
        token = cls(user=user, token_hash=cls.hash(raw), prefix=raw[:10], name=name, expires_at=expires)
        return token, raw

    def usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class LoginFailure(Model):
    """A failed sign-in for an e-mail address (known or not): the per-account limit counts these."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
