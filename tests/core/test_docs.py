"""docs/: the API reference and the clinical rules are written from the code, and the committed
copies are what the code writes now (`make docs` after a change to the API or to a data file)."""

from __future__ import annotations

import shutil

from clinic import docs
from clinic.api.openapi import document
from clinic.catalog import load_procedures
from clinic.catalog.rules import load_drugs


def test_the_committed_documents_are_what_the_code_writes():
    for name, write in docs.DOCUMENTS.items():
        committed = (docs.DOCS / name).read_text(encoding="utf-8")
        assert committed == write(), f"docs/{name} is out of date: run `make docs`"


def test_a_document_edited_by_hand_or_missing_is_found_stale(tmp_path):
    for name in docs.DOCUMENTS:
        shutil.copy(docs.DOCS / name, tmp_path / name)
    assert docs.stale(tmp_path) == []
    edited = tmp_path / "clinical-rules.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("stop 6 days", "stop 3 days"), encoding="utf-8")
    (tmp_path / "api.md").unlink()
    assert docs.stale(tmp_path) == ["api.md", "clinical-rules.md"]


def test_the_api_reference_has_every_operation_and_schema():
    text = docs.api_markdown()
    spec = document()
    for path, item in spec["paths"].items():
        for method in item:
            assert f"### `{method.upper()} {path}`" in text
    for name in spec["components"]["schemas"]:
        assert f"### {name}\n" in text


def test_the_clinical_rules_name_every_procedure_and_hold_with_its_source():
    text = docs.clinical_rules_markdown()
    for procedure in load_procedures().values():
        assert f"| `{procedure.code}` |" in text and procedure.source in text
    for drug in load_drugs():
        assert drug.source in text
    assert "**unconfirmed**" in text
