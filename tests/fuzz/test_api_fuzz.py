"""Schemathesis against /api/openapi.json on a seeded app, signed in as an admin.

Every operation of the document gets generated requests (valid and invalid): no answer is a
server error, and every answer conforms to the document (status, content type, schema). One test
per operation, so a new route in the document is fuzzed without touching this file.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings

from clinic.api.openapi import document
from tests.fuzz.conftest import EXAMPLES, TALLY
from tests.fuzz.found import api_cases

# Domain rules (a birth date within 120 years, known condition codes, a free slot in the future)
# refuse some schema-valid bodies with 422, which every operation declares: "schema-valid data
# must be accepted" cannot hold for them. Every other check (no 5xx, status codes, content types,
# response schemas and headers, invalid data refused) runs.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]

OPERATIONS = [(method.upper(), path) for path, item in document()["paths"].items() for method in item]


@pytest.mark.fuzz
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_and_never_fails(app, admin_headers, method, path):
    """No 5xx and answers that match the OpenAPI document, for generated requests to one operation."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema[path][method]

    def check(case):
        response = case.call(headers=admin_headers)
        TALLY["requests"] += 1
        if response.status_code >= 500:
            TALLY["server_errors"] += 1
        case.validate_response(response, headers=admin_headers, excluded_checks=EXCLUDED)

    # What earlier runs found is tried first by every run, whatever the seed.
    for found in api_cases(method, path):
        parts = {"path_parameters": found.path_parameters, "query": found.query, "body": found.body}
        check = example(case=operation.Case(**{k: v for k, v in parts.items() if v}))(check)
    run = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                   database=None)(given(case=operation.as_strategy())(check))
    run()
