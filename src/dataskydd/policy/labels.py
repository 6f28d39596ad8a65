"""Swedish and English names for the schema's enums, shared by the notice and the RoPA."""

from __future__ import annotations

from dataskydd.policy.schema import (
    DataSource,
    Lang,
    LegalBasis,
    RecipientRole,
    TransferMechanism,
)

_LEGAL_BASIS: dict[LegalBasis, tuple[str, str]] = {
    LegalBasis.CONSENT: ("Samtycke", "Consent"),
    LegalBasis.CONTRACT: ("Fullgörande av avtal", "Performance of a contract"),
    LegalBasis.LEGAL_OBLIGATION: ("Rättslig förpliktelse", "Legal obligation"),
    LegalBasis.VITAL_INTERESTS: ("Grundläggande intressen", "Vital interests"),
    LegalBasis.PUBLIC_TASK: ("Uppgift av allmänt intresse", "Task in the public interest"),
    LegalBasis.LEGITIMATE_INTERESTS: ("Berättigat intresse", "Legitimate interests"),
}

_ROLE: dict[RecipientRole, tuple[str, str]] = {
    RecipientRole.PROCESSOR: ("Personuppgiftsbiträden", "Processors"),
    RecipientRole.CONTROLLER: ("Andra personuppgiftsansvariga", "Other controllers"),
    RecipientRole.AUTHORITY: ("Myndigheter", "Public authorities"),
}

_ROLE_SINGULAR: dict[RecipientRole, tuple[str, str]] = {
    RecipientRole.PROCESSOR: ("personuppgiftsbiträde", "processor"),
    RecipientRole.CONTROLLER: ("personuppgiftsansvarig", "controller"),
    RecipientRole.AUTHORITY: ("myndighet", "public authority"),
}

_SOURCE: dict[DataSource, tuple[str, str]] = {
    DataSource.SUBJECT: ("du själv", "you"),
    DataSource.GENERATED: ("våra egna system", "our own systems"),
    DataSource.THIRD_PARTY: ("tredje part", "third parties"),
}

_TRANSFER: dict[TransferMechanism, tuple[str, str]] = {
    TransferMechanism.NONE: ("Ingen skyddsåtgärd angiven", "No safeguard stated"),
    TransferMechanism.ADEQUACY: (
        "EU-kommissionens beslut om adekvat skyddsnivå (artikel 45 i dataskyddsförordningen)",
        "European Commission adequacy decision (GDPR Article 45)",
    ),
    TransferMechanism.EU_US_DPF: (
        "EU–US Data Privacy Framework, EU-kommissionens beslut om adekvat skyddsnivå av den "
        "10 juli 2023 (artikel 45 i dataskyddsförordningen)",
        "EU–US Data Privacy Framework, European Commission adequacy decision of 10 July 2023 "
        "(GDPR Article 45)",
    ),
    TransferMechanism.SCC: (
        "EU-kommissionens standardavtalsklausuler (artikel 46.2 c i dataskyddsförordningen)",
        "European Commission standard contractual clauses (GDPR Article 46(2)(c))",
    ),
    TransferMechanism.BCR: (
        "Bindande företagsbestämmelser (artikel 47 i dataskyddsförordningen)",
        "Binding corporate rules (GDPR Article 47)",
    ),
    TransferMechanism.PRIVACY_SHIELD: (
        "Privacy Shield – ogiltigförklarad av EU-domstolen den 16 juli 2020 (mål C-311/18)",
        "Privacy Shield – invalidated by the EU Court of Justice on 16 July 2020 (C-311/18)",
    ),
}


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "sv" else pair[1]


def legal_basis(basis: LegalBasis | None, lang: Lang) -> str:
    """E.g. "Fullgörande av avtal (artikel 6.1 b i dataskyddsförordningen)"."""
    if basis is None:
        return "Ingen rättslig grund angiven" if lang == "sv" else "No legal basis stated"
    name = _pick(_LEGAL_BASIS[basis], lang)
    if lang == "sv":
        return f"{name} (artikel 6.1 {basis.point} i dataskyddsförordningen)"
    return f"{name} (GDPR Article 6(1)({basis.point}))"


def recipient_role(role: RecipientRole, lang: Lang) -> str:
    return _pick(_ROLE[role], lang)


def recipient_role_singular(role: RecipientRole, lang: Lang) -> str:
    return _pick(_ROLE_SINGULAR[role], lang)


def data_source(source: DataSource, lang: Lang) -> str:
    return _pick(_SOURCE[source], lang)


def transfer_mechanism(mechanism: TransferMechanism | None, lang: Lang) -> str:
    return _pick(_TRANSFER[mechanism or TransferMechanism.NONE], lang)


# Names for the countries a Swedish company's recipients are usually in; others show the code.
_COUNTRY: dict[str, tuple[str, str]] = {
    "SE": ("Sverige", "Sweden"),
    "FI": ("Finland", "Finland"),
    "NO": ("Norge", "Norway"),
    "DK": ("Danmark", "Denmark"),
    "DE": ("Tyskland", "Germany"),
    "NL": ("Nederländerna", "the Netherlands"),
    "IE": ("Irland", "Ireland"),
    "FR": ("Frankrike", "France"),
    "US": ("USA", "the United States"),
    "GB": ("Storbritannien", "the United Kingdom"),
    "CH": ("Schweiz", "Switzerland"),
    "CA": ("Kanada", "Canada"),
    "JP": ("Japan", "Japan"),
    "AU": ("Australien", "Australia"),
    "IN": ("Indien", "India"),
}


def country(code: str, lang: Lang) -> str:
    pair = _COUNTRY.get(code)
    return _pick(pair, lang) if pair else code


def enumerate_words(words: list[str], lang: Lang) -> str:
    """ "a, b och c" / "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    conjunction = " och " if lang == "sv" else " and "
    return ", ".join(words[:-1]) + conjunction + words[-1]
