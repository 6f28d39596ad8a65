"""Mina sidor's "my data" (issue 15): an overview of the categories the subject has data in
(count, purposes, retention) linking to collapsible sections, and long tables read a page at
a time ("Visa fler"), each page through the access decision and audited like the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.policy.schema import Policy
from dataskydd.register.models import UsageEvent
from dataskydd.subject_requests.my_data import PAGE_ROWS
from tests import factories as f
from tests.policy_keys import CONTACT, USAGE
from tests.web.test_access_request_pages import make_person
from tests.web.test_self_service_pages import sign_in

ROWS = "/mina-sidor/uppgifter/rader"
TABLE = f"register.{UsageEvent.__tablename__}"
EVENTS = 2 * PAGE_ROWS + 10


def with_usage(session: Session) -> int:
    subject_id = make_person(session)
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for n in range(EVENTS):
        f.UsageEventFactory(
            subject_id=subject_id, occurred_at=start + timedelta(hours=n), item=f"Avsnitt {n:03}"
        )
    session.flush()
    return subject_id


def shows(n: int) -> str:
    return f"<td>Avsnitt {n:03}</td>"


def shown_decisions(session: Session, subject_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.subject_id == subject_id, AuditEntry.action == "subject.show")
        )
        or 0
    )


def test_overview_lists_each_category_with_count_purposes_and_retention(
    anonymous: TestClient, session: Session, policy: Policy, factories: None
) -> None:
    with_usage(session)
    sign_in(anonymous, session)
    page = anonymous.get("/mina-sidor/uppgifter")
    assert page.status_code == 200
    overview = page.text[page.text.index('<table class="overview">') :]
    overview = overview[: overview.index("</table>")]
    usage = policy.categories[USAGE]
    row = re.search(
        rf'<a href="#c-{USAGE}">{re.escape(usage.title.sv)}</a></th>\s*<td>(\d+)</td>', overview
    )
    assert row is not None
    assert int(row.group(1)) == EVENTS
    for key in policy.purposes_using(USAGE):
        assert policy.purposes[key].title.sv in overview
    assert f'href="#c-{CONTACT}"' in overview  # the e-mail, phone and address
    # Each category with data has its section: a heading, the rows behind a <details>, and
    # a way back to the top.
    for key in re.findall(r'href="#c-([\w-]+)"', overview):
        assert f'<section class="category" id="c-{key}"' in page.text
    assert page.text.count("<details>") == len(re.findall(r'href="#c-', overview))
    assert "Till toppen" in page.text
    assert f"Visa uppgifterna ({EVENTS} st)" in page.text


def test_long_tables_show_the_newest_page_and_more_on_further_pages(
    anonymous: TestClient, session: Session, factories: None
) -> None:
    subject_id = with_usage(session)
    sign_in(anonymous, session)
    first = anonymous.get("/mina-sidor/uppgifter")
    newest = EVENTS - 1
    assert shows(newest) in first.text
    assert shows(newest - PAGE_ROWS + 1) in first.text
    assert shows(newest - PAGE_ROWS) not in first.text
    more = f"{ROWS}?kategori={USAGE}&amp;tabell={TABLE}&amp;sida=2"
    assert more in first.text
    before = shown_decisions(session, subject_id)

    second = anonymous.get(ROWS, params={"kategori": USAGE, "tabell": TABLE, "sida": "2"})
    assert second.status_code == 200
    assert shows(newest - PAGE_ROWS) in second.text
    assert shows(newest - 2 * PAGE_ROWS + 1) in second.text
    assert shows(newest) not in second.text
    assert shows(newest - 2 * PAGE_ROWS) not in second.text
    assert "Sida 2 av 3" in second.text
    assert "sida=3" in second.text
    assert "sida=1" in second.text
    last = anonymous.get(ROWS, params={"kategori": USAGE, "tabell": TABLE, "sida": "3"})
    assert shows(0) in last.text
    assert last.text.count("<td>Avsnitt") == EVENTS - 2 * PAGE_ROWS
    assert "sida=4" not in last.text
    # Each page is a read of the subject's data: decided and audited like the page itself.
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_id == subject_id, AuditEntry.action == "subject.show")
        .order_by(AuditEntry.id.desc())
        .limit(2)
    ).all()
    assert shown_decisions(session, subject_id) == before + 2
    assert all(entry.detail["view"] == "mina_sidor" for entry in entries)


def test_bad_paging_input_names_the_field(
    anonymous: TestClient, session: Session, factories: None
) -> None:
    with_usage(session)
    sign_in(anonymous, session)
    for params, field in (
        ({"kategori": USAGE, "tabell": TABLE, "sida": "4"}, "sida"),
        ({"kategori": USAGE, "tabell": TABLE, "sida": "0"}, "sida"),
        ({"kategori": USAGE, "tabell": TABLE, "sida": "två"}, "sida"),
        ({"kategori": "no-such-category", "tabell": TABLE}, "kategori"),
        ({"kategori": USAGE, "tabell": "register.no_such_table"}, "tabell"),
        ({"kategori": CONTACT, "tabell": TABLE}, "tabell"),
        ({"tabell": TABLE}, "kategori"),
    ):
        answer = anonymous.get(ROWS, params=params)
        assert answer.status_code == 422, (params, answer.status_code)
        main = answer.text[answer.text.index("<main") : answer.text.index("</main>")]
        said = " ".join(re.sub(r"<[^>]+>", " ", main).split())
        assert "Ogiltiga uppgifter" in said
        assert re.search(rf"\b{field}\b", said), (params, said)
        assert "<td>Avsnitt" not in main


def test_further_pages_need_sign_in(anonymous: TestClient) -> None:
    answer = anonymous.get(
        ROWS, params={"kategori": USAGE, "tabell": TABLE, "sida": "2"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/mina-sidor/logga-in"
