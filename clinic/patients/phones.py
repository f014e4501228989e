"""Phone numbers as the desk types them, stored in E.164 (parsed with the registering site's country
as default region), and the region of a user's registering site."""

from __future__ import annotations

import phonenumbers
import sqlalchemy as sa

from clinic.extensions import db
from clinic.sites.models import Site


class BadPhone(ValueError):
    pass


def to_e164(raw: str, region: str | None) -> str:
    """'06 12 34 56 78' at a French site -> '+33612345678'; raises BadPhone when it is not a number."""
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException as err:
        raise BadPhone(str(err)) from err
    if not phonenumbers.is_valid_number(number):
        raise BadPhone("not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    """The country of an E.164 number ('+1612...' -> 'US'), or None."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


def registering_site(user, code: str | None = None) -> Site | None:
    """The site named by `code` among the user's (every active site for an admin), else the first."""
    if user is None:
        return None
    if user.is_admin:
        sites = list(db.session.execute(sa.select(Site).where(Site.active.is_(True)).order_by(Site.name)).scalars())
    else:
        sites = list(user.sites)
    if code:
        return next((s for s in sites if s.code == code), None)
    return sites[0] if sites else None
