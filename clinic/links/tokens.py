"""Signed, expiring patient links: one salt per purpose, the patient and appointment inside,
encrypted so that the link itself names nobody.

A token for one purpose is refused for another; a token older than PATIENT_LINK_MAX_AGE_DAYS is
expired; a token whose signature does not match was tampered with. The claims are encrypted
with a key derived from SECRET_KEY (a keystream of HMAC-SHA256 over a random nonce and a block
counter) before itsdangerous signs them, so the token reads as random bytes and two links to the
same appointment differ. Links made before the claims were encrypted carry them in clear; they
are still read until they expire.

The salts and the claims key keep the names they had when the portal made these links
("clinic.portal..."): changing them would refuse every link already sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = ("prepare", "pain", "cancel", "optout")


class LinkExpired(Exception):
    """The link was genuine but is too old (its claims are kept, to answer in the patient's language)."""

    def __init__(self, claims: LinkClaims | None = None):
        super().__init__("link expired")
        self.claims = claims


class LinkInvalid(Exception):
    """The link was altered, or made for another purpose."""


@dataclass(frozen=True)
class LinkClaims:
    patient_id: int
    appointment_id: int
    moment: str | None = None


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"clinic.portal.{purpose}")


NONCE_BYTES = 16


def _keystream(nonce: bytes, length: int) -> bytes:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"clinic.portal.claims", hashlib.sha256).digest()
    blocks = (hmac.new(key, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest() for n in range(-(-length // 32)))
    return b"".join(blocks)[:length]


def _seal(data: dict) -> str:
    plain = json.dumps(data, separators=(",", ":")).encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = bytes(a ^ b for a, b in zip(plain, _keystream(nonce, len(plain)), strict=True))
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def _open(sealed: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        nonce, body = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        return json.loads(bytes(a ^ b for a, b in zip(body, _keystream(nonce, len(body)), strict=True)))
    except (ValueError, TypeError) as err:
        raise LinkInvalid() from err


def make_token(purpose: str, patient_id: int, appointment_id: int, moment: str | None = None) -> str:
    data: dict[str, int | str] = {"p": patient_id, "a": appointment_id}
    if moment:
        data["m"] = moment
    return _serializer(purpose).dumps(_seal(data))


def read_token(purpose: str, token: str) -> LinkClaims:
    max_age = current_app.config["PATIENT_LINK_MAX_AGE_DAYS"] * 86400
    serializer = _serializer(purpose)
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired as err:
        try:
            claims = _claims(serializer.load_payload(err.payload or b""))  # an expired link carries its payload
        except (BadSignature, LinkInvalid, TypeError, ValueError):
            claims = None
        raise LinkExpired(claims) from err
    except BadSignature as err:
        raise LinkInvalid() from err
    return _claims(data)


def _claims(data) -> LinkClaims:
    if isinstance(data, str):
        data = _open(data)
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("a"), int):
        raise LinkInvalid()
    return LinkClaims(data["p"], data["a"], data.get("m"))


ENDPOINTS = {"prepare": "portal.prepare", "pain": "portal.pain", "cancel": "portal.cancel",
             "optout": "portal.optout"}


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link built on BASE_URL (works outside any request: in the dispatcher)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def link(purpose: str, patient_id: int, appointment_id: int, moment: str | None = None) -> str:
    """A patient link of this purpose, absolute on BASE_URL."""
    return absolute_url(ENDPOINTS[purpose], token=make_token(purpose, patient_id, appointment_id, moment))
