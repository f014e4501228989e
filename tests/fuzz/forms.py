"""Find the forms of a page and fill them with hostile values (helpers for the form fuzz)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import strategies as st

# Raw markup that must never come back unescaped.
MARKUP = ('<script>fz()</script>', '"><img src=x onerror=fz()>', "<b onclick='fz()'>x</b>")
SQL = ("' OR 1=1 --", "'; DROP TABLE patients; --", '" OR ""="', "1; SELECT pg_sleep(5)", "%' --")
DATES = ("2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "0001-01-01", "31/12/2026", "2026-02-29T25:61",
         "99999-01-01", "-2026-01-01")
NUMBERS = ("-1", "0", "-999999999999", "99999999999999999999999", "1e308", "NaN", "inf", "3.5", "0x10", "٣")

value_text = st.one_of(
    st.text(max_size=80),
    st.sampled_from(MARKUP + SQL + DATES + NUMBERS + ("", " ", "\x00", "é" * 300)),
    st.integers(min_value=1, max_value=5).map(lambda n: "Ω<&>\"'" * (n * 400)),  # very long
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> the options offered (if any)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form((a.get("method") or "get").lower(), a.get("action") or ""))
        elif not self.forms:
            return
        elif tag in ("input", "textarea", "select") and a.get("name") and a.get("type") not in ("submit", "button"):
            options = self.forms[-1].fields.setdefault(a["name"], [])
            if a.get("type") in ("checkbox", "radio") and a.get("value") is not None:
                options.append(a["value"])
            self._select = a["name"] if tag == "select" else None
        elif tag == "option" and self._select and a.get("value") is not None:
            self.forms[-1].fields[self._select].append(a["value"])


def forms_of(html: str, path: str) -> list[Form]:
    """The page's own forms (not the language switch or sign-out in the header)."""
    parser = _Parser()
    parser.feed(html)
    found = []
    for form in parser.forms:
        form.action = form.action or path
        if form.action.startswith(("/language/", "/logout")):
            continue
        form.fields.pop("csrf_token", None)
        found.append(form)
    return found


def draw_values(data, form: Form) -> dict[str, str]:
    """A hostile value for every field: any text, or one of the offered options, or nothing."""
    values = {}
    for name, options in form.fields.items():
        choices = [value_text]
        if options:
            choices.append(st.sampled_from(options))
        value = data.draw(st.one_of(*choices, st.none()), label=name)
        if value is not None:
            values[name] = value
    return values


def unescaped(html: str, values: dict[str, str]) -> list[str]:
    """The markup fragments sent that came back as live markup."""
    return [m for m in MARKUP if any(m in v for v in values.values()) and m in html]
