"""`--suggest`: a mapping proposed from the file's header and first rows, to be saved,
checked and edited. A column is placed by its header's words (Swedish or English) and, where
the words say nothing, by what most of its first values validate as with the register's rules.
"""

from __future__ import annotations

import re
from itertools import islice

import yaml

from dataskydd.imports.mapping import REPEATABLE, Target
from dataskydd.imports.reading import Source
from dataskydd.imports.rows import read_date, text_of
from dataskydd.register import identifiers

SAMPLE_ROWS = 50

# Header words, compared after lower-casing and dropping everything but letters and digits.
_WORDS: list[tuple[tuple[str, ...], Target]] = [
    (
        ("personnummer", "pnr", "personnr", "samordningsnummer", "ssn", "nationalid"),
        Target.PERSONNUMMER,
    ),
    (
        ("organisationsnummer", "orgnr", "orgnummer", "organisationsnr", "companyid", "vatno"),
        Target.ORGANISATIONSNUMMER,
    ),
    (("epost", "email", "mail", "mejl", "epostadress", "emailaddress"), Target.EMAIL),
    (
        ("mobil", "mobilnummer", "telefon", "telefonnummer", "tel", "phone", "mobile", "cell"),
        Target.PHONE,
    ),
    (("förnamn", "fornamn", "firstname", "givenname", "tilltalsnamn"), Target.GIVEN_NAME),
    (("efternamn", "lastname", "surname", "familyname"), Target.FAMILY_NAME),
    (
        (
            "företag",
            "foretag",
            "företagsnamn",
            "organisation",
            "organisationsnamn",
            "company",
            "companyname",
            "firma",
        ),
        Target.ORGANISATION_NAME,
    ),
    (("namn", "name", "fullname", "kundnamn", "fulltnamn"), Target.NAME),
    (("co", "careof", "coadress"), Target.CARE_OF),
    (
        ("adress", "gatuadress", "address", "street", "utdelningsadress", "streetaddress"),
        Target.STREET,
    ),
    (("postnr", "postnummer", "postalcode", "zip", "zipcode", "postcode"), Target.POSTAL_CODE),
    (("ort", "postort", "stad", "city", "town"), Target.CITY),
    (("land", "country", "landskod", "countrycode"), Target.COUNTRY),
    (("typ", "kundtyp", "kind", "type", "customertype"), Target.KIND),
    (("roll", "role"), Target.ROLE),
    (
        (
            "kundsedan",
            "kundfrån",
            "customersince",
            "startdatum",
            "registrerad",
            "created",
            "startdate",
            "since",
        ),
        Target.CUSTOMER_SINCE,
    ),
    (
        (
            "kundnummer",
            "kundnr",
            "customernumber",
            "customerid",
            "id",
            "nr",
            "anteckning",
            "note",
            "notes",
            "kommentar",
        ),
        Target.IGNORE,
    ),
]
_BY_WORD = {word: target for words, target in _WORDS for word in words}


def _word(header: str) -> str:
    return re.sub(r"[^0-9a-zåäöü]", "", header.casefold())


def _validates(check: object, value: str) -> bool:
    try:
        check(value)  # type: ignore[operator]
    except (ValueError, OverflowError):
        return False
    return True


# What a column's values may be, checked in this order (a personnummer also looks like a
# phone number to phonenumbers, so identifiers go first).
_BY_VALUE = [
    (Target.PERSONNUMMER, identifiers.normalise_personnummer),
    (Target.ORGANISATIONSNUMMER, identifiers.normalise_organisationsnummer),
    (Target.EMAIL, identifiers.normalise_email),
    (Target.POSTAL_CODE, identifiers.normalise_postal_code),
    (Target.PHONE, identifiers.normalise_phone),
]


def _by_values(values: list[str]) -> Target | None:
    if not values:
        return None
    for target, check in _BY_VALUE:
        if sum(_validates(check, value) for value in values) * 10 >= len(values) * 8:
            return target
    if all(_validates(lambda v: read_date(v, ["%Y-%m-%d"]), value) for value in values):
        return Target.CUSTOMER_SINCE
    return None


def suggest(source: Source) -> tuple[dict[str, Target | None], str]:
    """Each column's proposed target (None: not recognised) and the mapping as YAML text."""
    rows = [row.cells for row in islice(source.rows, SAMPLE_ROWS)]
    proposed: dict[str, Target | None] = {}
    taken: set[Target] = set()
    for index, header in enumerate(source.header):
        if not header:
            continue
        target = _BY_WORD.get(_word(header))
        if target is None:
            values = [
                text_of(row[index]) for row in rows if index < len(row) and text_of(row[index])
            ]
            target = _by_values(values)
        if target is not None and target in taken and target not in REPEATABLE:
            target = None  # a second "Namn": left for the operator to decide
        if target is not None:
            taken.add(target)
        proposed[header] = target
    return proposed, render(proposed)


def render(proposed: dict[str, Target | None]) -> str:
    columns = {name: (target or Target.IGNORE).value for name, target in proposed.items()}
    unknown = [name for name, target in proposed.items() if target is None]
    lines = [
        "# Proposed by `dataskydd import subjects FILE --suggest`: check every line, then",
        "# save it and import with --mapping. Fields: " + ", ".join(t.value for t in Target) + ".",
    ]
    if unknown:
        lines.append("# Not recognised (set to ignore): " + ", ".join(unknown))
    body = yaml.safe_dump(
        {
            "columns": columns,
            "defaults": {"country": "SE", "role": "customer"},
            "date_formats": ["%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y"],
        },
        allow_unicode=True,
        sort_keys=False,
    )
    return "\n".join(lines) + "\n" + body
