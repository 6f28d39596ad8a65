"""--suggest: a mapping from the header's words, Swedish or English, and from what the first
values validate as."""

from __future__ import annotations

from pathlib import Path

from dataskydd.imports.limits import ImportLimits
from dataskydd.imports.mapping import Target, load_mapping
from dataskydd.imports.reading import open_source
from dataskydd.imports.suggest import suggest
from tests.imports.files import customers, write_csv


def test_swedish_and_english_headers(tmp_path: Path) -> None:
    header = ["Kundnr", "Namn", "Personnummer", "E-post", "Mobil", "Postnr", "Ort", "Country"]
    rows = [["1", "Anna Lind", c[3], c[4], c[5], c[7], c[8], "SE"] for c in customers(3)]
    path = write_csv(tmp_path / "k.csv", rows, header=header)
    proposed, text = suggest(open_source(path, ImportLimits()))
    assert proposed == {
        "Kundnr": Target.IGNORE,
        "Namn": Target.NAME,
        "Personnummer": Target.PERSONNUMMER,
        "E-post": Target.EMAIL,
        "Mobil": Target.PHONE,
        "Postnr": Target.POSTAL_CODE,
        "Ort": Target.CITY,
        "Country": Target.COUNTRY,
    }
    # What it prints is a mapping the import reads.
    saved = tmp_path / "suggested.yaml"
    saved.write_text(text, encoding="utf-8")
    mapping, _ = load_mapping(saved)
    assert mapping.columns["Mobil"] is Target.PHONE


def test_unnamed_columns_by_their_values(tmp_path: Path) -> None:
    header = ["A", "B", "C", "D", "E"]
    rows = [[c[3], c[4], c[5], c[7], "blå"] for c in customers(5)]
    path = write_csv(tmp_path / "k.csv", rows, header=header)
    proposed, text = suggest(open_source(path, ImportLimits()))
    assert proposed == {
        "A": Target.PERSONNUMMER,
        "B": Target.EMAIL,
        "C": Target.PHONE,
        "D": Target.POSTAL_CODE,
        "E": None,
    }
    assert "Not recognised (set to ignore): E" in text
