"""Readable names for the data map's tables, columns and stored codes, in Swedish and English.

Used wherever a person reads register data (staff pages, the registerutdrag PDF), so nobody
is shown `family_name` or `set_top_box`. tests/datamap/test_labels.py requires a label for
every shown column of every mapped table.
"""

from __future__ import annotations

from typing import Any

from dataskydd.datamap.entries import TableMap, current
from dataskydd.policy.schema import Lang
from dataskydd.register import identifiers

_Pair = tuple[str, str]

TABLES: dict[str, _Pair] = {
    "subject": ("Person eller företag", "Person or company"),
    "subject_role": ("Roll hos oss", "Role with us"),
    "contact_point": ("E-post och telefon", "E-mail and phone"),
    "postal_address": ("Postadress", "Postal address"),
    "subject_relation": ("Kontaktperson för företag", "Contact person for a company"),
    "contract": ("Avtal", "Contracts"),
    "subscription": ("Tjänster och tilläggstjänster", "Services and add-ons"),
    "equipment": ("Utrustning", "Equipment"),
    "connection": ("Anslutningar", "Connections"),
    "ip_assignment": ("Tilldelade IP-adresser", "Assigned IP addresses"),
    "invoice": ("Fakturor", "Invoices"),
    "payment": ("Betalningar", "Payments"),
    "correspondence": ("Korrespondens", "Correspondence"),
    "support_case": ("Supportärenden", "Support cases"),
    "support_message": ("Meddelanden i supportärenden", "Support messages"),
    "participation": ("Deltagande i undersökningar och erbjudanden", "Surveys and offers"),
    "newsletter_subscription": ("Nyhetsbrev", "Newsletters"),
    "usage_event": ("Användning av tjänsterna", "Use of the services"),
    "rectification": ("Ändringshistorik", "Change history"),
    "outbox_mail": ("E-post vi skickat till dig", "E-mail we sent you"),
}

# Column names that mean the same in every table.
_COMMON: dict[str, _Pair] = {
    "kind": ("Typ", "Type"),
    "status": ("Status", "Status"),
    "starts_on": ("Startdatum", "Start date"),
    "ends_on": ("Slutdatum", "End date"),
    "started_on": ("Från", "From"),
    "ended_on": ("Till", "Until"),
    "street": ("Gatuadress", "Street address"),
    "postal_code": ("Postnummer", "Postal code"),
    "city": ("Ort", "City"),
    "country": ("Land", "Country"),
    "direction": ("Riktning", "Direction"),
    "amount": ("Belopp", "Amount"),
    "body": ("Text", "Text"),
}

COLUMNS: dict[tuple[str, str], _Pair] = {
    ("subject", "given_name"): ("Förnamn", "Given name"),
    ("subject", "family_name"): ("Efternamn", "Family name"),
    ("subject", "organisation_name"): ("Företagsnamn", "Company name"),
    ("subject", "organisationsnummer"): ("Organisationsnummer", "Company registration number"),
    ("subject", "personnummer"): ("Personnummer", "Personal identity number"),
    ("subject_role", "role"): ("Roll", "Role"),
    ("contact_point", "value"): ("Uppgift", "Value"),
    ("postal_address", "care_of"): ("c/o", "c/o"),
    ("subject_relation", "title"): ("Befattning", "Title"),
    ("contract", "contract_number"): ("Avtalsnummer", "Contract number"),
    ("contract", "signed_on"): ("Tecknat", "Signed"),
    ("subscription", "service_id"): ("Tjänst", "Service"),
    ("equipment", "model"): ("Modell", "Model"),
    ("equipment", "serial_number"): ("Serienummer", "Serial number"),
    ("equipment", "mac_address"): ("MAC-adress", "MAC address"),
    ("equipment", "installed_on"): ("Installerad", "Installed"),
    ("equipment", "returned_on"): ("Återlämnad", "Returned"),
    ("connection", "access_kind"): ("Anslutningstyp", "Access type"),
    ("connection", "activated_on"): ("Aktiverad", "Activated"),
    ("connection", "deactivated_on"): ("Avslutad", "Deactivated"),
    ("ip_assignment", "ip_address"): ("IP-adress", "IP address"),
    ("ip_assignment", "assigned_at"): ("Tilldelad", "Assigned"),
    ("ip_assignment", "released_at"): ("Släppt", "Released"),
    ("invoice", "invoice_number"): ("Fakturanummer", "Invoice number"),
    ("invoice", "issued_on"): ("Fakturadatum", "Invoice date"),
    ("invoice", "due_on"): ("Förfallodatum", "Due date"),
    ("invoice", "vat_amount"): ("Varav moms", "Of which VAT"),
    ("invoice", "currency"): ("Valuta", "Currency"),
    ("payment", "paid_on"): ("Betald", "Paid"),
    ("payment", "method"): ("Betalsätt", "Method"),
    ("payment", "reference"): ("Referens", "Reference"),
    ("correspondence", "received_at"): ("Datum", "Date"),
    ("correspondence", "sender_address"): ("Avsändare", "Sender"),
    ("correspondence", "subject_line"): ("Ämne", "Subject"),
    ("support_case", "channel"): ("Kanal", "Channel"),
    ("support_case", "topic"): ("Ärende", "Topic"),
    ("support_case", "opened_at"): ("Öppnat", "Opened"),
    ("support_case", "closed_at"): ("Avslutat", "Closed"),
    ("support_message", "sent_at"): ("Skickat", "Sent"),
    ("participation", "activity_id"): ("Aktivitet", "Activity"),
    ("participation", "consented_at"): ("Samtycke lämnat", "Consent given"),
    ("participation", "withdrawn_at"): ("Samtycke återkallat", "Consent withdrawn"),
    ("participation", "answers"): ("Svar och uppgifter du lämnat", "Answers and details you gave"),
    ("newsletter_subscription", "list_code"): ("Nyhetsbrev", "Newsletter"),
    ("newsletter_subscription", "subscribed_at"): ("Prenumererar sedan", "Subscribed"),
    ("newsletter_subscription", "consent_text_version"): ("Samtyckestext", "Consent text"),
    ("newsletter_subscription", "unsubscribed_at"): ("Avslutad", "Unsubscribed"),
    ("usage_event", "occurred_at"): ("Tidpunkt", "Time"),
    ("usage_event", "device_type"): ("Enhet", "Device"),
    ("usage_event", "item"): ("Innehåll eller sida", "Content or page"),
    ("usage_event", "duration_seconds"): ("Längd (sekunder)", "Duration (seconds)"),
    ("outbox_mail", "to_address"): ("Mottagare", "To"),
    ("outbox_mail", "subject_line"): ("Ämne", "Subject"),
    ("rectification", "table_name"): ("Uppgiftstyp", "Kind of data"),
    ("rectification", "row_id"): ("Post", "Record"),
    ("rectification", "field"): ("Fält", "Field"),
    ("rectification", "old_value"): ("Tidigare värde", "Old value"),
    ("rectification", "new_value"): ("Nytt värde", "New value"),
    ("rectification", "changed_by"): ("Ändrat av", "Changed by"),
    ("rectification", "changed_at"): ("Ändrat", "Changed"),
    ("rectification", "reason"): ("Anledning", "Reason"),
}

# Stored codes (enum values) as words.
VALUES: dict[str, _Pair] = {
    "person": ("Privatperson", "Private person"),
    "organisation": ("Företag", "Company"),
    "customer": ("Kund", "Customer"),
    "supplier": ("Leverantör", "Supplier"),
    "visitor": ("Besökare", "Visitor"),
    "email": ("E-post", "E-mail"),
    "phone": ("Telefon", "Phone"),
    "active": ("Aktivt", "Active"),
    "ended": ("Avslutat", "Ended"),
    "cancelled": ("Uppsagt", "Cancelled"),
    "router": ("Router", "Router"),
    "set_top_box": ("Tv-box", "Set-top box"),
    "other": ("Annan", "Other"),
    "fibre": ("Fiber", "Fibre"),
    "dsl": ("DSL", "DSL"),
    "cable": ("Kabel", "Cable"),
    "mobile": ("Mobilt bredband", "Mobile broadband"),
    "open": ("Obetald", "Unpaid"),
    "paid": ("Betald", "Paid"),
    "overdue": ("Förfallen", "Overdue"),
    "credited": ("Krediterad", "Credited"),
    "autogiro": ("Autogiro", "Direct debit"),
    "bankgiro": ("Bankgiro", "Bank giro"),
    "card": ("Kort", "Card"),
    "swish": ("Swish", "Swish"),
    "letter": ("Brev", "Letter"),
    "feedback": ("Återkoppling", "Feedback"),
    "inbound": ("Från dig", "From you"),
    "outbound": ("Från oss", "From us"),
    "chat": ("Chatt", "Chat"),
    "view": ("Visning", "Viewing"),
    "navigation": ("Navigering", "Navigation"),
    "connection": ("Anslutning", "Connection"),
    "device": ("Enhet", "Device"),
}


def _pick(pair: _Pair, lang: Lang) -> str:
    return pair[0] if lang == "sv" else pair[1]


def table_label(table: str, lang: Lang) -> str:
    return _pick(TABLES[table], lang)


def column_label(table: str, column: str, lang: Lang) -> str:
    pair = COLUMNS.get((table, column)) or _COMMON.get(column)
    if pair is None:
        raise KeyError(f"no label for {table}.{column}; add one to datamap/labels.py")
    return _pick(pair, lang)


def _spoken(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def entry_title(entry: TableMap, lang: Lang) -> str:
    """A mapped table's title: the register's own labels, or the map's for another system
    (its table name in words when the map gives none)."""
    if entry.system == current().register.key and entry.table in TABLES:
        return table_label(entry.table, lang)
    if entry.title:
        return entry.title[lang]
    return _spoken(entry.table)


def entry_column_label(entry: TableMap, column: str, lang: Lang) -> str:
    if entry.system == current().register.key:
        return column_label(entry.table, column, lang)
    if column in entry.labels:
        return entry.labels[column][lang]
    return _spoken(column)


def has_column_label(table: str, column: str) -> bool:
    return (table, column) in COLUMNS or column in _COMMON


def value_label(value: Any, lang: Lang) -> Any:
    """A stored code in words; other values unchanged."""
    code = getattr(value, "value", value)
    if isinstance(code, str) and code in VALUES:
        return _pick(VALUES[code], lang)
    return code


def display_value(table: str, column: str, value: Any, lang: Lang) -> Any:
    """A stored value as a person reads it: codes in words, identifiers in their usual form."""
    if (table, column) == ("subject", "personnummer") and isinstance(value, str):
        return identifiers.format_personnummer(value)
    return value_label(value, lang)
