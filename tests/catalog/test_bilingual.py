"""The one loader of the catalog data: every file loads with its texts complete in English and
French, a text missing its French stops the file from loading (naming the text), and a pair is
read in the language asked for, English when that side is missing."""

from __future__ import annotations

import pytest

from clinic.catalog import DATA
from clinic.catalog.bilingual import CatalogError, in_language, read


def test_every_data_file_loads_with_its_texts_in_both_languages():
    names = sorted(p.name for p in DATA.glob("*.toml"))
    assert "screening.toml" in names and "checklists.toml" in names
    loaded = {name: read(DATA / name) for name in names}
    assert loaded["screening.toml"]["messages"]["fever"]["fr"] == "Fièvre : ne pas réaliser le geste."


@pytest.mark.parametrize("text, problem", [
    ('[messages.fever]\nen = "Fever: do not proceed."\nsource = "s4"\n', "English and its French"),
    ('[messages.fever]\nen = "Fever: do not proceed."\nfr = ""\n', "English and its French"),
    ('[mail]\nmoved.en = ["one line"]\nmoved.fr = "une ligne"\n', "English and its French"),
    ('[subjects.en]\nday_before = "Tomorrow"\n[subjects.fr]\nweek_before = "Dans une semaine"\n', "differ in their keys"),
])
def test_a_text_without_its_french_stops_the_file_from_loading(tmp_path, text, problem):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=problem) as caught:
        read(path)
    assert str(caught.value).startswith("broken.toml ")


def test_a_policy_table_is_not_a_text():
    """`{ fr = 48, us = 48 }` is a value per site policy (France, United States), not a language pair."""
    assert read(DATA / "messages.toml")["manage"]["cancel_cutoff_hours"] == {"fr": 48, "us": 48}


def test_a_pair_is_read_in_the_language_or_in_english():
    pair = {"en": "Fever: do not proceed.", "fr": "Fièvre : ne pas réaliser le geste."}
    assert in_language(pair, "fr") == "Fièvre : ne pas réaliser le geste."
    assert in_language(pair, "en") == "Fever: do not proceed."
    assert in_language(pair, "de") == "Fever: do not proceed."
    assert in_language(pair, None) == "Fever: do not proceed."
