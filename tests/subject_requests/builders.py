"""A subject with rows in every mapped table, for the rights tests.

Only the register tables the company under test maps get rows: a company that marks a table
`unused` (the bookshop's equipment and connections) must have nothing there."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy.orm import Session

from dataskydd.datamap import entries
from dataskydd.db.base import Base
from dataskydd.register import service

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö ÅÄÖ-", min_size=1, max_size=30)
days = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 1, 1))


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def add_everything(
    session: Session, draw: Any, tag: str, *, invoice_day: date | None = None
) -> int:
    """One subject with rows in every mapped table; text values carry `tag`."""
    subject = service.create_subject(
        session,
        actor="test",
        data={
            "given_name": f"{tag}{draw(words)}".strip()[:90],
            "family_name": f"{tag}-efternamn",
            "emails": [f"{tag}@example.se"],
            "phones": ["0701234567"],
            "addresses": [{"street": f"{tag} gatan 1", "postal_code": "47321", "city": "Henån"}],
        },
    )
    sid = subject.id
    t = Base.metadata.tables

    mapped = entries.current().register.by_table

    def add(table: str, **values: Any) -> int:
        return int(session.execute(insert(t[table]).values(**values)).inserted_primary_key[0])

    day = draw(days)
    service_id = add(
        "service",
        code=f"svc-{tag}",
        name=f"Fiber {tag}",
        kind="connectivity",
        is_addon=False,
        monthly_price=399,
    )
    activity_id = add(
        "activity", code=f"act-{tag}", kind="survey", title=f"Enkät {tag}", starts_on=day
    )
    contract = add(
        "contract",
        subject_id=sid,
        contract_number=f"A-{tag}",
        signed_on=day,
        starts_on=day,
        status="active",
        created_at=_moment(day),
        updated_at=_moment(day),
    )
    add("subscription", contract_id=contract, service_id=service_id, starts_on=day)
    if "equipment" in mapped:
        add(
            "equipment",
            subject_id=sid,
            kind="router",
            model=f"Router {tag}",
            serial_number=f"SN-{tag}",
            mac_address="00:1a:2b:3c:4d:5e",
            installed_on=day,
        )
    if "connection" in mapped:
        connection = add(
            "connection",
            subject_id=sid,
            access_kind="fibre",
            street=f"{tag} väg 2",
            postal_code="473 21",
            city="Henån",
            activated_on=day,
        )
        add(
            "ip_assignment",
            connection_id=connection,
            ip_address="198.51.100.7",
            assigned_at=_moment(day),
        )
    invoice = add(
        "invoice",
        subject_id=sid,
        invoice_number=f"F-{tag}",
        issued_on=invoice_day or day,
        due_on=(invoice_day or day) + timedelta(days=30),
        amount=499,
        vat_amount=99.8,
        currency="SEK",
        status="paid",
    )
    add(
        "payment",
        invoice_id=invoice,
        paid_on=invoice_day or day,
        amount=499,
        method="swish",
        reference=f"R-{tag}",
    )
    add(
        "correspondence",
        subject_id=sid,
        kind="email",
        direction="inbound",
        received_at=_moment(day),
        subject_line=f"Fråga {tag}",
        body=f"{tag} {draw(words)}",
    )
    case = add(
        "support_case",
        subject_id=sid,
        channel="phone",
        topic=f"Ärende {tag}",
        opened_at=_moment(day),
    )
    add(
        "support_message",
        case_id=case,
        sent_at=_moment(day),
        direction="inbound",
        body=f"Hjälp {tag}",
    )
    add(
        "participation",
        subject_id=sid,
        activity_id=activity_id,
        consented_at=_moment(day),
        answers=json.dumps({"hushåll": tag}),
    )
    add(
        "newsletter_subscription",
        subject_id=sid,
        list_code=f"nyheter-{tag}",
        subscribed_at=_moment(day),
        consent_text_version="v1",
    )
    for n in range(draw(st.integers(min_value=1, max_value=5))):
        add(
            "usage_event",
            subject_id=sid,
            occurred_at=_moment(day) + timedelta(minutes=n),
            kind="view",
            device_type="tv",
            item=f"Program {tag} {n}",
        )
    add(
        "outbox_mail",
        subject_id=sid,
        to_address=f"{tag}@example.se",
        subject_line=f"Din kod {tag}",
        body=f"Koden är 123456 ({tag})",
        created_at=_moment(day),
    )
    other_org = service.create_subject(
        session,
        actor="test",
        data={"kind": "organisation", "organisation_name": f"Bolag {tag}"},
    )
    add("subject_relation", organisation_id=other_org.id, person_id=sid, title=f"VD {tag}")
    service.update_subject(
        session,
        actor="test",
        subject_id=sid,
        changes={"family_name": f"{tag}-nytt", "reason": f"Rättelse {tag}"},
    )
    return sid
