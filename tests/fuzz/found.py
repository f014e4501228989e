"""Every input a fuzz run has found to fail, kept as a fixed case so that it stays fixed.

The API fuzz adds these to its generated cases as explicit Hypothesis examples; the form fuzz sends
them before its generated ones. Each is replayed by every run, whatever the seed. A new finding is
added here with the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BEYOND_INTEGER = "99999999999999999999999"  # beyond a database integer


@dataclass(frozen=True)
class ApiCase:
    """An API request that once answered 5xx; `why` says what it broke."""

    method: str
    path: str  # the operation's path, as the OpenAPI document names it
    why: str
    path_parameters: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: object = None


@dataclass(frozen=True)
class FormCase:
    """A form submission (on the page `page`, as test_form_fuzz names its pages) that once answered 5xx
    or showed the input back as live markup."""

    page: str
    method: str
    action: str
    values: dict
    why: str


API = [
    ApiCase("GET", "/api/v1/patients", "PostgreSQL text cannot hold U+0000 (a search answered 500)",
            query={"q": "ab\x00c"}),
    ApiCase("POST", "/api/v1/appointments/{id}/cancel", "U+0000 in a JSON body",
            path_parameters={"id": 1}, body={"reason": "a\x00b"}),
    ApiCase("GET", "/api/v1/patients/{id}", "a path id beyond a database integer answered 500",
            path_parameters={"id": int(BEYOND_INTEGER)}),
]

FORMS = [
    FormCase("/audit/", "get", "/audit/", {"patient": "999999"},
             "the reading's audit row pointed at a patient that does not exist (foreign key, 500)"),
    FormCase("/audit/", "get", "/audit/", {"page": BEYOND_INTEGER}, "a page beyond a database integer"),
    FormCase("/patients/", "get", "/patients/", {"q": "a", "page": BEYOND_INTEGER},
             "a page beyond a database integer"),
    FormCase("/appointments/", "get", "/appointments/", {"day": "9999-12-31"},
             "the day list of the calendar's last day has no next day to end it"),
    FormCase("/admin/physicians/{physician}/hours", "post", "/admin/physicians/{physician}/hours",
             {"day0": "<script>fz()</script>"}, "the interval error echoed the typed text unescaped"),
    FormCase("/admin/outbox/", "get", "/admin/outbox/", {"site": BEYOND_INTEGER},
             "a site filter beyond a database integer"),
    FormCase("/admin/outbox/", "get", "/admin/outbox/", {"page": BEYOND_INTEGER}, "a page beyond a database integer"),
]


def api_cases(method: str, path: str) -> list[ApiCase]:
    return [c for c in API if (c.method, c.path) == (method, path)]
