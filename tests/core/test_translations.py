"""One translation system: every text of the code and the templates is in the one template
(clinic/translations/messages.pot) and has its French in the one catalog, no text is translated
twice, and a French page shows what that catalog says.

The extraction is the one `make translations` runs (babel.cfg and the Makefile's BABEL_KEYWORDS),
into a temporary file, so a text added without its French fails here, naming it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from clinic.catalog import DATA
from clinic.catalog.bilingual import read

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "clinic" / "translations"
POT = CATALOG / "messages.pot"
PO = CATALOG / "fr" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def _keywords() -> list[str]:
    """The extraction keywords as the Makefile gives them to pybabel (one place states them)."""
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("BABEL_KEYWORDS :="):
            return shlex.split(line.partition(":=")[2])
    raise AssertionError("the Makefile has no BABEL_KEYWORDS line")


def _keys(catalog) -> set[tuple[str | tuple[str, ...], str | None]]:
    return {(m.id, m.context) for m in catalog if m.id}


def _texts(catalog) -> dict:
    """Each message's key and French, plural forms as tuples (read_mo gives lists, read_po tuples)."""
    def flat(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {(flat(m.id), m.context): flat(m.string) for m in catalog if m.id}


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(s and s.strip() for s in strings)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    out = tmp_path_factory.mktemp("extract") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), *_keywords(),
                                "-o", str(out), str(ROOT)])
    with out.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def french():
    with PO.open("rb") as f:
        return read_po(f)


def test_the_template_holds_every_text_the_code_and_templates_use(extracted):
    with POT.open("rb") as f:
        template = read_po(f)
    assert len(_keys(extracted)) > 500  # the extraction found the templates and the code
    assert _keys(extracted) - _keys(template) == set(), "new texts: run make translations"
    assert _keys(template) - _keys(extracted) == set(), "texts no longer used: run make translations"


def test_every_text_has_its_french(extracted, french):
    by_key = {(m.id, m.context): m for m in french if m.id}
    missing = sorted(str(k) for k in _keys(extracted) if k not in by_key)
    assert missing == [], "texts absent from the French catalog"
    untranslated = sorted(str(k) for k in _keys(extracted) if not _translated(by_key[k]))
    assert untranslated == [], "texts without their French"
    fuzzy = sorted(str(m.id) for m in french if m.id and m.fuzzy)
    assert fuzzy == [], "French guessed by pybabel, not reviewed"
    assert french.num_plurals == 2  # msgstr[0] for 0 and 1, msgstr[1] above


def test_there_is_one_catalog_and_the_app_reads_only_it(app):
    assert sorted(ROOT.glob("clinic/**/*.po")) == [PO]
    assert sorted(ROOT.glob("clinic/**/*.pot")) == [POT]
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(CATALOG)


def test_no_text_is_translated_twice():
    """Within the one catalog a text (in its context) appears once: read_po would keep the last
    of two entries silently, so the file itself is read."""
    entries: list[tuple[str, str]] = []
    context = ""
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        joined = "\n".join(lines)
        found = re.search(r'^msgid ((?:".*"\n?)+)', joined, re.M)
        if not found:
            continue
        ctx = re.search(r'^msgctxt ((?:".*"\n?)+)', joined, re.M)
        context = ctx.group(1) if ctx else ""
        entries.append((context, found.group(1)))
    twice = {e for e in entries if entries.count(e) > 1}
    assert len(entries) > 500 and twice == set()


def test_the_compiled_catalog_is_the_french_catalog(french):
    """The .mo the app reads says what the .po says (make translations compiles it)."""
    assert MO.is_file(), "no compiled catalog: run make translations"
    with MO.open("rb") as f:
        compiled = read_mo(f)
    assert _texts(compiled) == _texts(french), "the compiled catalog is stale: run make translations"


def test_a_french_page_shows_the_catalogs_french(client, make_user, login, french):
    """A text that had two translations before the catalogs were one: the end of a period reads
    "Au" (as in "Du ... Au ..."), and the status label the catalog gives "En cours d'acte"."""
    assert french.get("To", context="period").string == "Au"
    assert french.get("In procedure").string == "En cours d'acte"
    login(make_user("admin", language="fr"))
    html = client.get("/outcomes/").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="date_from"[^>]*>\s*Du\s*<', html), html[:2000]
    assert re.search(r'<label[^>]*for="date_to"[^>]*>\s*Au\s*<', html)


# English words that name two things: a French text for each is right, not a text translated twice.
HOMONYMS = {
    "Sign in": "the WHO checklist's first phase (Accueil) and signing in to the application (Se connecter)",
    "cervical": "the spinal region (la région cervicale) and a level of the catalog's risk table (cervical)",
}


def _pairs(value, where: str):
    if isinstance(value, dict):
        if isinstance(value.get("en"), str):
            yield where, value["en"], value["fr"]
        for key, inner in value.items():
            yield from _pairs(inner, f"{where} {key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _pairs(inner, f"{where} [{i}]")


def test_a_text_of_the_catalog_data_has_the_french_of_the_same_gettext_text(french):
    """The clinical texts keep their French in the data; where the same English is also an
    interface text, both say it the same way in French."""
    interface = {m.id: m.string for m in french if isinstance(m.id, str) and not m.context}
    differ = [(where, en, fr, interface[en]) for name in sorted(p.name for p in DATA.glob("*.toml"))
              for where, en, fr in _pairs(read(DATA / name), name)
              if en in interface and interface[en] != fr and en not in HOMONYMS]
    assert differ == []
