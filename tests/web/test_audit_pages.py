"""The audit log page: filters, paging, and the button that verifies the hash chain."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.web.pages import audit_log
from tests.policy_keys import CUSTOMER_SERVICE, DPO
from tests.web.conftest import ClientFor, csrf_of

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def log(session: Session, count: int, *, actor: str = "staff:anna", action: str = "x.y") -> None:
    for number in range(count):
        audit_service.record(session, actor=actor, action=action, subject_id=1000 + number)
    session.commit()


@pytest.fixture
def dpo(client_for: ClientFor) -> TestClient:
    return client_for(DPO)


class TestReading:
    def test_filters_by_actor(self, dpo: TestClient, session: Session) -> None:
        log(session, 2, actor="staff:anna", action="subject.show")
        log(session, 1, actor="staff:bertil", action="subject.update")
        page = dpo.get("/audit", params={"actor": "staff:bertil"})
        assert page.status_code == 200
        assert "subject.update" in page.text
        assert "staff:anna" not in page.text.split("<table>", 1)[1]

    def test_filters_by_date_and_subject(self, dpo: TestClient, session: Session) -> None:
        log(session, 3)
        page = dpo.get("/audit", params={"subject_id": "1001", "from": "2000-01-01"})
        assert page.status_code == 200
        body = page.text.split("<tbody>", 1)[1]
        assert ">1001<" in body
        assert ">1000<" not in body
        assert ">1002<" not in body
        empty = dpo.get("/audit", params={"to": "2000-01-01"})
        assert "Inga poster matchar filtret" in empty.text

    @pytest.mark.parametrize(
        ("params", "label"),
        [({"from": "2024-13-40"}, "Från datum"), ({"subject_id": "abc"}, "Registrerads id")],
    )
    def test_bad_filter_is_a_422_page_not_500(
        self, dpo: TestClient, params: dict[str, str], label: str
    ) -> None:
        page = dpo.get("/audit", params=params)
        assert page.status_code == 422
        assert label in page.text

    def test_newest_first_with_a_link_to_older_entries(
        self, dpo: TestClient, session: Session
    ) -> None:
        log(session, 60, action="page.test")
        first = dpo.get("/audit", params={"action": "page.test"})
        body = first.text.split("<tbody>", 1)[1]
        assert body.index(">1059<") < body.index(">1058<")
        assert ">1009<" not in body
        assert "Äldre poster" in first.text
        link = re.search(r'href="/audit\?([^"]+)">Äldre poster', first.text)
        assert link
        older = link.group(1).replace("&amp;", "&")
        second = dpo.get(f"/audit?{older}")
        assert ">1009<" in second.text
        assert ">1059<" not in second.text
        assert "Äldre poster" not in second.text

    def test_customer_service_may_not_read_the_log(self, client_for: ClientFor) -> None:
        assert client_for(CUSTOMER_SERVICE).get("/audit").status_code == 403


class TestVerify:
    def test_intact_chain(self, dpo: TestClient, session: Session) -> None:
        log(session, 3)
        token = csrf_of(dpo.get("/audit").text)
        page = dpo.post("/audit/verify", data={"csrf_token": token})
        assert page.status_code == 200
        assert "Kedjan är obruten" in page.text

    def test_needs_the_form_token(self, dpo: TestClient) -> None:
        assert dpo.post("/audit/verify", data={"csrf_token": "forged"}).status_code == 403
        assert dpo.post("/audit/verify").status_code == 403

    def test_tampered_entry_is_named(
        self, dpo: TestClient, session: Session, engine_name: str
    ) -> None:
        log(session, 3)
        trigger = (
            "audit_entry_no_change ON audit_entry"
            if engine_name == "postgresql"
            else "audit_entry_no_update"
        )
        session.execute(text(f"DROP TRIGGER {trigger}"))
        target = session.scalar(text("SELECT max(id) FROM audit_entry")) - 1
        session.execute(
            text("UPDATE audit_entry SET actor = 'staff:mallory' WHERE id = :id"), {"id": target}
        )
        session.commit()
        token = csrf_of(dpo.get("/audit").text)
        page = dpo.post("/audit/verify", data={"csrf_token": token})
        assert page.status_code == 200
        assert f"Kedjan är bruten vid post nr {target}" in page.text


@pytest.fixture
def engine_name(session: Session) -> str:
    return session.get_bind().dialect.name


class TestWordsAreasAndExport:
    """Issue 15 item 6: events in words, an area filter, and a CSV export of the filter."""

    def test_events_in_words_with_their_code(self, dpo: TestClient, session: Session) -> None:
        log(session, 1, action="subject.show")
        log(session, 1, action="never.heard_of")
        page = dpo.get("/audit")
        assert "Öppnade en registrerad" in page.text
        assert '<code class="muted">subject.show</code>' in page.text
        assert "never.heard_of" in page.text  # unknown codes are shown as they are

    def test_an_area_shows_all_its_events(self, dpo: TestClient, session: Session) -> None:
        log(session, 1, action="subject.show")
        log(session, 1, action="subject.update")
        log(session, 1, action="subject_request.open")
        body = dpo.get("/audit", params={"action": "subject."}).text.split("<tbody>", 1)[1]
        assert "subject.show" in body
        assert "subject.update" in body
        assert "subject_request.open" not in body  # "subject." is not "subject_request."

    def test_the_export_has_every_matching_entry_and_is_audited(
        self, dpo: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(audit_log, "EXPORT_BATCH", 7)  # several batches
        log(session, 20, actor="staff:anna", action="subject.show")
        log(session, 3, actor="=HYPERLINK(1)", action="subject.show")
        page = dpo.get("/audit", params={"action": "subject.show"})
        assert 'href="/audit/export.csv?action=subject.show"' in page.text
        answer = dpo.get("/audit/export.csv", params={"action": "subject.show"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert rows[0][:4] == ["id", "at", "actor", "action"]
        assert len(rows) == 1 + 23
        ids = [int(row[0]) for row in rows[1:]]
        assert ids == sorted(ids, reverse=True)
        assert {row[2] for row in rows[1:]} == {"staff:anna", "'=HYPERLINK(1)"}
        assert rows[1][4] == "Öppnade en registrerad"
        exported = dpo.get("/audit", params={"action": "audit.export"}).text
        assert "Loggboken exporterad" in exported.split("<tbody>", 1)[1]

    def test_a_bad_filter_exports_nothing(self, dpo: TestClient) -> None:
        assert dpo.get("/audit/export.csv", params={"from": "igår"}).status_code == 422

    def test_customer_service_cannot_export(self, client_for: ClientFor) -> None:
        assert client_for(CUSTOMER_SERVICE).get("/audit/export.csv").status_code == 403
