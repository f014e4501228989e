"""A patient's e-mail address: checked by the email-validator library (syntax only, no DNS), the same
way for the forms and the JSON API, and stored in its normalized form.

An internationalised address (accented letters in the part before or after the @) reaches the patient
only through a mail relay that offers SMTPUTF8. The mail package knows the relay: its init_app installs
here the question "may an internationalised address be registered?" (clinic.mail.international). With
none installed, such an address is refused: registered, it would only fail at the first message.
"""

from __future__ import annotations

from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.sansio.app import App
from flask_babel import lazy_gettext as _l

KEY = "clinic.patients.international_mail"
MAX_LENGTH = 254

INVALID = _l("Not a valid e-mail address: write it as name@example.com, without spaces.")
INTERNATIONAL = _l("This address has accented characters and the clinic's mail server cannot deliver to it; "
                   "ask for another address.")


class BadEmail(ValueError):
    """An address refused: `kind` is "invalid" or "international"; `reason` says why, in English."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason

    def message(self) -> str:
        """The sentence for the person who typed the address, in their language."""
        return str(INTERNATIONAL if self.kind == "international" else INVALID)


def install(app: App, accepts_international: Callable[[], bool]) -> None:
    """Say how to know whether the mail relay delivers to internationalised addresses."""
    app.extensions[KEY] = accepts_international


def _accepts_international() -> bool:
    found = current_app.extensions.get(KEY)
    return bool(found is not None and found())


def is_international(address: str) -> bool:
    """Whether the address needs SMTPUTF8 to be sent (a letter outside ASCII, before or after the @)."""
    return not address.isascii()


def normalize_email(value: str) -> str:
    """The address as stored, or BadEmail: the library's normalized form (domain in lower case, Unicode
    in NFC) with the local part in lower case too, as the records and the duplicate check compare them."""
    try:
        found = validate_email((value or "").strip(), check_deliverability=False)
    except EmailNotValidError as err:
        raise BadEmail("invalid", f"Not a valid e-mail address: {err}") from None
    address = f"{found.local_part.lower()}@{found.domain}"
    if len(address) > MAX_LENGTH:
        raise BadEmail("invalid", f"Not a valid e-mail address: at most {MAX_LENGTH} characters.")
    if is_international(address) and not _accepts_international():
        raise BadEmail("international", "This address has accented characters and the clinic's mail server "
                                        "cannot deliver to it; ask for another address.")
    return address


def email_problem(value: str) -> BadEmail | None:
    """Why the address is refused, or None."""
    try:
        normalize_email(value)
    except BadEmail as err:
        return err
    return None
