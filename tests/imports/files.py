"""Import files for the tests and the benchmark: customers as Swedish tools export them."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from stdnum import luhn

HEADER = [
    "Kundnummer",
    "Förnamn",
    "Efternamn",
    "Personnummer",
    "E-post",
    "Mobil",
    "Gatuadress",
    "Postnr",
    "Ort",
    "Kund sedan",
]

MAPPING = """\
columns:
  Kundnummer: ignore
  Förnamn: given_name
  Efternamn: family_name
  Personnummer: personnummer
  E-post: email
  Mobil: phone
  Gatuadress: street
  Postnr: postal_code
  Ort: city
  Kund sedan: customer_since
"""

_GIVEN = ("Anna", "Erik", "Märta", "Östen", "Åsa", "Lars", "Karin", "Johan", "Lena", "Per")
_FAMILY = ("Lindqvist", "Sjöberg", "Öberg", "Åström", "Nilsson", "Karlsson", "Berg", "Ek")
_CITIES = ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro", "Umeå")


def personnummer(n: int) -> str:
    """A valid personnummer, different for each n < 10 million."""
    born = date(1940, 1, 1) + timedelta(days=n % 25_000)
    serial = n // 25_000 % 1000
    ten = f"{born:%y%m%d}{serial:03d}"
    return f"{born:%Y%m%d}-{serial:03d}{luhn.calc_check_digit(ten)}"


def customer(n: int) -> list[str]:
    return [
        str(100_000 + n),
        _GIVEN[n % len(_GIVEN)],
        _FAMILY[n // 7 % len(_FAMILY)],
        personnummer(n),
        f"kund{n}@example.se",
        f"070-{n // 10_000 % 1000:03d} {n % 10_000 // 100:02d} {n % 100:02d}",
        f"Storgatan {n % 200 + 1}",
        f"{11_000 + n % 80_000:05d}"[:3] + " " + f"{11_000 + n % 80_000:05d}"[3:],
        _CITIES[n % len(_CITIES)],
        (date(2010, 1, 1) + timedelta(days=n % 5000)).isoformat(),
    ]


def customers(count: int, start: int = 0) -> Iterator[list[str]]:
    return (customer(n) for n in range(start, start + count))


def write_csv(
    path: Path,
    rows: Iterator[list[str]] | list[list[str]],
    *,
    header: list[str] = HEADER,
    encoding: str = "utf-8-sig",
    delimiter: str = ";",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_mapping(path: Path, text: str = MAPPING) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
