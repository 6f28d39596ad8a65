"""The software run by another kind of company: a web bookshop whose policy shares no purpose,
role, subject kind, recipient or banner choice key with Omilon's
(examples/bokhandel/policy.yaml).

Only the category keys are Omilon's, because the register's data map still names them
(datamap/entries.py; the map moves to YAML in issue #10). Everything here goes through the
public surface, web (TestClient) and command line (CliRunner), with the bookshop's keys; the
fixtures are the web and CLI ones, pointed at the bookshop's policy through `policy_file`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import Result

from dataskydd.access.models import Objection
from dataskydd.analytics.models import PageEvent
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import operator_context
from dataskydd.cli._context import cli_transaction
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.consent.models import ConsentRecord
from dataskydd.datamap.connections import url_variable
from dataskydd.policy.loader import load_bundled_policy, load_policy
from dataskydd.policy.schema import Permission, Policy
from dataskydd.register import service as register_service
from dataskydd.register.models import NewsletterSubscription
from dataskydd.subject_requests.models import (
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from dataskydd.subject_requests.outcomes import complete_request
from dataskydd.subject_requests.systems import SystemsWaiting
from tests import company_schemas
from tests.cli import conftest as cli_fixtures
from tests.cli.conftest import Run
from tests.conftest import REPO
from tests.web import conftest as web_fixtures
from tests.web import test_access_request_pages as public_flow
from tests.web import test_request_queue_pages as queue_pages
from tests.web.conftest import PASSWORD, csrf_of, make_staff
from tests.web.test_access_request_pages import ask, code_in, last_mail, send_code

# The web and CLI fixtures live in the conftests of those directories; this module uses them
# with the bookshop's policy (its `policy_file` below overrides the suite's).
app = web_fixtures.app
anonymous = web_fixtures.anonymous
client_for = web_fixtures.client_for
workdir = cli_fixtures.workdir
run = cli_fixtures.run
initialised = cli_fixtures.initialised

BOKHANDEL = REPO / "examples" / "bokhandel" / "policy.yaml"
EMAIL = "greta.berg@example.se"
PNR = "19811218-9876"
BROWSER = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0"}
VISITOR = "7" * 32


@pytest.fixture
def policy_file() -> Path:
    return BOKHANDEL


def test_no_key_is_omilon_s(policy: Policy) -> None:
    omilon = load_bundled_policy()
    assert omilon.consent_banner is not None
    assert policy.consent_banner is not None
    theirs = {
        *omilon.categories,
        *omilon.purposes,
        *omilon.roles,
        *omilon.subject_kinds,
        *omilon.consent_banner.purposes,
        *(r.key for r in omilon.recipients),
    }
    ours = {
        *policy.categories,
        *policy.purposes,
        *policy.roles,
        *policy.subject_kinds,
        *policy.consent_banner.purposes,
        *(r.key for r in policy.recipients),
    }
    assert theirs & ours == set()
    raw = yaml.safe_load(BOKHANDEL.read_text("utf-8"))
    assert set(raw["categories"]) == set(policy.categories)


# --- web -------------------------------------------------------------------------------------


def make_customer(session: Session) -> int:
    subject = register_service.create_subject(
        session,
        actor="test",
        data={
            "given_name": "Greta",
            "family_name": "Berg",
            "personnummer": PNR,
            "emails": [EMAIL],
            "phones": ["070-111 22 33"],
            "addresses": [{"street": "Bokgatan 3", "postal_code": "75320", "city": "Uppsala"}],
        },
    )
    session.commit()
    return subject.id


def role_with(policy: Policy, permission: Permission, purpose: str | None = None) -> str:
    return next(
        key
        for key, role in policy.roles.items()
        if permission in role.permissions and (purpose is None or purpose in role.purposes)
    )


def sign_in(client: TestClient, username: str) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )


# What each of the bookshop's roles opens first, and a page it may not open.
ROLE_PAGES = {
    "kundservice": ("/subjects", "/audit"),
    "dataskyddsombud": ("/requests", "/admin/accounts"),
    "analytiker": ("/analytics", "/subjects"),
    "administrator": ("/admin/accounts", "/subjects"),
}


class TestStaffWeb:
    def test_the_roles_are_the_policy_s(self, policy: Policy) -> None:
        assert set(ROLE_PAGES) == set(policy.roles)

    @pytest.mark.parametrize("role", sorted(ROLE_PAGES))
    def test_each_role_signs_in_and_opens_its_own_pages(
        self, anonymous: TestClient, session: Session, role: str
    ) -> None:
        make_staff(session, role, f"test-{role}")
        answer = sign_in(anonymous, f"test-{role}")
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/start"
        assert anonymous.get("/start").status_code == 200
        allowed, forbidden = ROLE_PAGES[role]
        assert anonymous.get(allowed).status_code == 200, allowed
        assert anonymous.get(forbidden, follow_redirects=False).status_code == 403, forbidden

    def test_an_omilon_role_is_not_a_role_here(
        self, anonymous: TestClient, session: Session
    ) -> None:
        make_staff(session, "customer_service", "omilon-style")
        sign_in(anonymous, "omilon-style")
        assert anonymous.get("/subjects", follow_redirects=False).status_code == 403

    def test_search_then_open_under_a_purpose_of_the_role(
        self, client_for: Any, session: Session, policy: Policy
    ) -> None:
        subject_id = make_customer(session)
        staff = client_for("kundservice")
        found = staff.get("/subjects", params={"q": "Greta Berg"})
        assert found.status_code == 200
        assert f'href="/subjects/{subject_id}"' in found.text
        question = staff.get(f"/subjects/{subject_id}")
        assert question.status_code == 200
        assert 'value="leverans"' in question.text
        assert 'value="bokforing"' not in question.text  # not the customer service's
        page = staff.get(f"/subjects/{subject_id}/view", params={"purpose": "leverans"})
        assert page.status_code == 200, page.text
        assert EMAIL in page.text
        assert policy.category("kontaktuppgifter").title.sv in page.text
        assert policy.purpose("leverans").title.sv in page.text
        shown = session.scalars(
            select(AuditEntry.purpose).where(
                AuditEntry.action == "subject.show", AuditEntry.subject_id == subject_id
            )
        )
        assert list(shown) == ["leverans"]

    def test_a_purpose_the_role_lacks_is_refused_and_the_refusal_kept(
        self, client_for: Any, session: Session
    ) -> None:
        subject_id = make_customer(session)
        staff = client_for("kundservice")
        page = staff.get(f"/subjects/{subject_id}/view", params={"purpose": "bokforing"})
        assert page.status_code == 403, page.text
        assert EMAIL not in page.text
        refused = session.scalars(
            select(AuditEntry.purpose).where(
                AuditEntry.action == "subject.show.refused", AuditEntry.subject_id == subject_id
            )
        )
        assert list(refused) == ["bokforing"]

    def test_an_omilon_purpose_is_unknown_and_the_valid_ones_named(
        self, client_for: Any, session: Session
    ) -> None:
        subject_id = make_customer(session)
        staff = client_for("kundservice")
        page = staff.get(
            f"/subjects/{subject_id}/view", params={"purpose": "customer_relationship"}
        )
        assert page.status_code == 404
        assert "leverans" in page.text
        assert EMAIL not in page.text

    def test_aggregates_only_purpose_opens_no_subject(
        self, client_for: Any, session: Session
    ) -> None:
        subject_id = make_customer(session)
        dpo = client_for("dataskyddsombud")
        page = dpo.get(f"/subjects/{subject_id}/view", params={"purpose": "statistik"})
        assert page.status_code == 403
        assert EMAIL not in page.text

    def test_legal_claims_need_a_case(self, client_for: Any, session: Session) -> None:
        subject_id = make_customer(session)
        dpo = client_for("dataskyddsombud")
        page = dpo.get(f"/subjects/{subject_id}/view", params={"purpose": "rattsliga_ansprak"})
        assert page.status_code == 403, page.text
        assert "kräver ett ärende" in page.text
        assert EMAIL not in page.text

    def test_correct_a_customer_and_read_the_history(
        self, client_for: Any, session: Session, policy: Policy
    ) -> None:
        """What failed with 404 "unknown purpose" before the map named the bookshop's keys."""
        subject_id = make_customer(session)
        staff = client_for("kundservice")
        form = staff.get(f"/subjects/{subject_id}/edit")
        assert form.status_code == 200, form.text
        assert EMAIL in form.text
        saved = staff.post(
            f"/subjects/{subject_id}/edit",
            data={
                "csrf_token": csrf_of(form.text),
                "kind": "person",
                "given_name": "Greta",
                "family_name": "Berg",
                "email": "greta@nyadress.se",
                "phone": "070-111 22 33",
                "care_of": "",
                "street": "Bokgatan 3",
                "postal_code": "753 20",
                "city": "Uppsala",
                "reason": "Kunden mejlade ny adress",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        history = staff.get(saved.headers["location"])
        assert history.status_code == 200
        assert "greta@nyadress.se" in history.text
        assert EMAIL in history.text
        purposes = set(
            session.scalars(select(AuditEntry.purpose).where(AuditEntry.subject_id == subject_id))
        )
        assert purposes <= {*policy.purposes, None}

    def test_the_dpo_and_the_analyst_see_statistics(self, client_for: Any) -> None:
        for role in ("dataskyddsombud", "analytiker"):
            assert client_for(role).get("/statistics").status_code == 200, role


class TestPublicWeb:
    def test_the_notice_is_the_bookshop_s(self, anonymous: TestClient, policy: Policy) -> None:
        page = anonymous.get("/integritetspolicy")
        assert page.status_code == 200
        assert "Läsvärt Bokhandel AB" in page.text
        assert policy.purpose("nyhetsbrev").title.sv in page.text
        assert "Omilon" not in page.text
        english = anonymous.get("/en/privacy")
        assert english.status_code == 200
        assert policy.purpose("leverans").title.en in english.text

    def test_the_banner_config_has_the_bookshop_s_choices(self, anonymous: TestClient) -> None:
        config = anonymous.get("/consent/config?language=sv").json()
        assert config["accept"] == "Godkänn alla"
        flags = {
            p["key"]: (p["required"], p["measures_visits"], p["tracking_pixel"])
            for p in config["purposes"]
        }
        assert flags == {
            "grundlaggande": (True, False, False),
            "besoksstatistik": (False, True, False),
            "kampanjmatning": (False, False, True),
            "boktips": (False, False, False),
        }

    def test_consent_and_collect_with_the_bookshop_s_keys(
        self, anonymous: TestClient, session: Session, policy: Policy
    ) -> None:
        assert policy.consent_banner is not None
        version = policy.consent_banner.text_version

        def consent(granted: list[str], **headers: str) -> Any:
            body = {"visitor_id": VISITOR, "text_version": version, "granted": granted}
            return anonymous.post("/consent", json=body, headers={**BROWSER, **headers})

        def view() -> None:
            event = {"kind": "view", "page": "/bocker/deckare", "visitor_id": VISITOR}
            assert anonymous.post("/collect", json=event, headers=BROWSER).status_code == 204

        def pixel() -> None:
            url = f"/collect/pixel.gif?v={VISITOR}&p=/kampanj%3Futm_campaign%3Dbokrea"
            assert anonymous.get(url, headers=BROWSER).status_code == 200

        omilon_key = consent(["analytics"])
        assert omilon_key.status_code == 422
        assert "unknown choice 'analytics'" in omilon_key.json()["detail"]
        answer = consent(["boktips"])
        assert answer.status_code == 201, answer.text
        assert answer.json()["refused"] == ["besoksstatistik", "kampanjmatning"]
        view()
        pixel()
        assert session.scalars(select(PageEvent)).all() == []
        under_gpc = consent(["besoksstatistik", "kampanjmatning"], **{"sec-gpc": "1"})
        assert under_gpc.json()["granted"] == ["besoksstatistik"]
        view()
        pixel()
        assert [e.kind for e in session.scalars(select(PageEvent))] == ["view"]
        consent(["kampanjmatning"])
        pixel()
        kinds = sorted(e.kind for e in session.scalars(select(PageEvent)))
        assert kinds == ["pixel", "view"]
        records = session.scalars(select(ConsentRecord.granted).order_by(ConsentRecord.id))
        assert list(records) == ["boktips", "besoksstatistik", "kampanjmatning"]


class TestRegisterutdrag:
    def test_asked_on_the_web_completed_by_the_dpo_downloaded_by_the_subject(
        self,
        anonymous: TestClient,
        client_for: Any,
        session: Session,
        policy: Policy,
        other_system_urls: dict[str, str],
    ) -> None:
        subject_id = make_customer(session)
        company_schemas.fill_webbutik(
            other_system_urls["webbutik"],
            subject_id=subject_id,
            email=EMAIL,
            phone="070-111 22 33",
            marker="Greta",
        )
        ask(anonymous, EMAIL)
        send_code(anonymous, code_in(last_mail(session, EMAIL)))
        request_id = session.scalars(select(SubjectRequest.id)).one()
        dpo = client_for(role_with(policy, Permission.REQUESTS_HANDLE))
        public_flow._complete(dpo, request_id)
        link = public_flow._link_in(last_mail(session, EMAIL))
        files = public_flow._download_code(anonymous, session, link, EMAIL)
        assert "registerutdrag.pdf" in files.text  # type: ignore[attr-defined]
        extract = anonymous.get(link + "/registerutdrag.json").json()
        assert extract["subject"]["id"] == subject_id
        text = json.dumps(extract, ensure_ascii=False)
        assert "Läsvärt Bokhandel AB" in text
        assert policy.purpose("leverans").title.sv in text
        assert policy.category("kunduppgifter").title.sv in text  # the bookshop's title
        # The web shop's own database is part of it: its orders and fraud checks.
        shop = [
            table
            for category in extract["categories"]
            for table in category["tables"]
            if table["system"] == "webbutik"
        ]
        assert {t["table"] for t in shop} == {
            "shop_customer",
            "shop_order",
            "shop_order_line",
            "fraud_signal",
        }
        assert "Gretagatan 1" in text
        assert policy.category("bedrageri_signaler").title.sv in text
        purposes = set(
            session.scalars(select(AuditEntry.purpose).where(AuditEntry.subject_id == subject_id))
        )
        assert "registrerades_rattigheter" in purposes
        assert purposes <= {*policy.purposes, None}

    def test_erasure_waits_for_the_web_shop_then_erases_everywhere(
        self,
        client_for: Any,
        session: Session,
        policy: Policy,
        other_system_urls: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        subject_id = make_customer(session)
        url = other_system_urls["webbutik"]
        company_schemas.fill_webbutik(
            url, subject_id=subject_id, email=EMAIL, phone="070-111 22 33", marker="Raderas"
        )
        dpo = client_for(role_with(policy, Permission.REQUESTS_HANDLE))
        location = queue_pages.register(dpo, subject_id, "erasure").headers["location"]  # type: ignore[attr-defined]
        monkeypatch.setenv(url_variable("webbutik"), "sqlite:////nonexistent/webbutik.db")
        page = dpo.get(location)
        assert page.status_code == 200
        assert 'id="plan-problem"' in page.text
        refused = dpo.post(
            f"{location}/complete",
            data={"csrf_token": csrf_of(page.text), "note": ""},
            follow_redirects=False,
        )
        assert refused.status_code == 503
        assert "Väntar på" in refused.text
        assert 'id="waiting"' in refused.text
        assert "webbutik" in refused.text
        queue = dpo.get("/requests?view=open&kind=erasure")
        assert "väntar på webbutik" in queue.text
        assert register_service.get_subject(session, subject_id).given_name == "Greta"
        monkeypatch.setenv(url_variable("webbutik"), url)
        page = dpo.get(location)
        assert 'id="erasure-plan"' in page.text
        done = dpo.post(
            f"{location}/complete",
            data={"csrf_token": csrf_of(page.text), "note": ""},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        answered = dpo.get(location)
        assert 'id="receipts"' in answered.text
        assert "nåddes inte" in answered.text  # the first try, kept as evidence
        assert "klart" in answered.text
        assert 'id="waiting"' not in answered.text
        # The DPO's systems page says when the shop last took part in a request.
        overview = dpo.get("/systems")
        assert overview.status_code == 200
        row = overview.text.split('id="system-webbutik"', 1)[1].split("</tr>", 1)[0]
        assert today_in_sweden().isoformat() in row
        shop = create_engine(url)
        try:
            with shop.connect() as connection:
                gone = connection.execute(
                    select(company_schemas.ORDER.c.delivery_street).where(
                        company_schemas.ORDER.c.delivery_street == "Raderasgatan 1"
                    )
                ).all()
        finally:
            shop.dispose()
        assert gone == []


def sign_in_to_mina_sidor(client: TestClient, session: Session) -> None:
    page = client.get("/mina-sidor/logga-in")
    client.post("/mina-sidor/logga-in", data={"contact": EMAIL, "csrf_token": csrf_of(page.text)})
    page = client.get("/mina-sidor/kod")
    answer = client.post(
        "/mina-sidor/kod",
        data={"code": code_in(last_mail(session, EMAIL)), "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/mina-sidor/uppgifter"


class TestMinaSidor:
    def test_sign_in_see_own_data_subscribe_and_object(
        self, anonymous: TestClient, session: Session, policy: Policy
    ) -> None:
        subject_id = make_customer(session)
        session.add(
            NewsletterSubscription(
                subject_id=subject_id,
                list_code="bokbrev",
                subscribed_at=utc_now(),
                consent_text_version="v1",
            )
        )
        session.commit()
        sign_in_to_mina_sidor(anonymous, session)
        mine = anonymous.get("/mina-sidor/uppgifter")
        assert mine.status_code == 200, mine.text
        assert "Bokgatan 3" in mine.text
        consents = anonymous.get("/mina-sidor/samtycken")
        assert consents.status_code == 200, consents.text
        assert policy.purpose("bedrageriskydd").title.sv in consents.text
        for what, key, give in (
            ("newsletter", "bokbrev", "false"),
            ("newsletter", "bokbrev", "true"),
            ("objection", "bedrageriskydd", "true"),
        ):
            page = anonymous.get("/mina-sidor/samtycken")
            answer = anonymous.post(
                "/mina-sidor/samtycken",
                data={"csrf_token": csrf_of(page.text), "what": what, "key": key, "give": give},
            )
            assert answer.status_code == 200, answer.text
        subscriptions = session.scalars(
            select(NewsletterSubscription).where(NewsletterSubscription.subject_id == subject_id)
        ).all()
        assert sorted(s.unsubscribed_at is None for s in subscriptions) == [False, True]
        objection = session.scalars(
            select(Objection).where(Objection.subject_id == subject_id)
        ).one()
        assert objection.purpose == "bedrageriskydd"
        changes = session.execute(
            select(AuditEntry.action, AuditEntry.purpose)
            .where(AuditEntry.action.like("consent.%"), AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.id)
        )
        assert [tuple(c) for c in changes] == [
            ("consent.withdraw", "nyhetsbrev"),
            ("consent.give", "nyhetsbrev"),
        ]
        page = anonymous.get("/mina-sidor/samtycken")
        refused = anonymous.post(
            "/mina-sidor/samtycken",
            data={
                "csrf_token": csrf_of(page.text),
                "what": "objection",
                "key": "bokforing",
                "give": "true",
            },
        )
        assert refused.status_code == 422

    def test_portable_export(self, anonymous: TestClient, session: Session) -> None:
        make_customer(session)
        sign_in_to_mina_sidor(anonymous, session)
        export = anonymous.get("/mina-sidor/dataportabilitet.json")
        assert export.status_code == 200, export.text
        assert re.search("Bokgatan", export.text)


# --- command line ----------------------------------------------------------------------------


def add_customer() -> int:
    with cli_transaction() as session:
        subject = register_service.create_subject(
            session,
            actor="test",
            data={
                "given_name": "Greta",
                "family_name": "Berg",
                "personnummer": PNR,
                "emails": [EMAIL],
                "addresses": [{"street": "Bokgatan 3", "postal_code": "753 20", "city": "Uppsala"}],
            },
        )
        return subject.id


class TestCommandLine:
    def test_policy_check_has_no_findings(self, run: Run) -> None:
        result = run("policy", "check")
        assert result.exit_code == 0, result.output
        assert "No findings in policy.yaml" in result.output

    def test_init_makes_the_admin_with_the_bookshop_s_admin_role(
        self, initialised: Result, run: Run, policy: Policy
    ) -> None:
        assert role_with(policy, Permission.ACCOUNTS_ADMIN) == "administrator"
        assert "Created admin account" in initialised.output

    def test_show_under_the_bookshop_s_purposes(self, initialised: Result, run: Run) -> None:
        subject_id = add_customer()
        shown = run("subject", "show", str(subject_id), "--purpose", "leverans", "--json")
        assert shown.exit_code == 0, shown.output
        categories = {g["category"] for g in json.loads(shown.output)["categories"]}
        assert {"kunduppgifter", "kontaktuppgifter"} <= categories
        refused = run(
            "subject",
            "show",
            str(subject_id),
            "--purpose",
            "nyhetsbrev",
            "--category",
            "kvitton_och_fakturor",
        )
        assert refused.exit_code == 4, refused.output
        unknown = run("subject", "show", str(subject_id), "--purpose", "customer_relationship")
        assert unknown.exit_code == 3
        assert "leverans" in unknown.output

    def test_export_and_erase_dry_run(self, initialised: Result, run: Run, workdir: Path) -> None:
        subject_id = add_customer()
        exported = run("subject", "export", str(subject_id), "--out", "utdrag")
        assert exported.exit_code == 0, exported.output
        document = json.loads((workdir / "utdrag" / "registerutdrag.json").read_text())
        assert document["subject"]["name"] == "Greta Berg"
        assert "Läsvärt Bokhandel AB" in json.dumps(document, ensure_ascii=False)
        plan = run("subject", "erase", str(subject_id), "--dry-run")
        assert plan.exit_code == 0, plan.output
        assert json.loads(run("subject", "find", EMAIL, "--json").output)

    def test_requests_retry_completes_an_erasure_once_the_shop_is_back(
        self,
        initialised: Result,
        run: Run,
        other_system_urls: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        subject_id = add_customer()
        url = other_system_urls["webbutik"]
        company_schemas.fill_webbutik(
            url, subject_id=subject_id, email=EMAIL, phone="070-111 22 33", marker="Omprov"
        )
        with cli_transaction() as session:
            request = SubjectRequest(
                kind=RequestKind.ERASURE,
                status=RequestStatus.OPEN,
                channel=RequestChannel.LETTER,
                subject_id=subject_id,
            )
            session.add(request)
            session.flush()
            request_id = request.id
        monkeypatch.setenv(url_variable("webbutik"), "sqlite:////nonexistent/webbutik.db")
        first = run("subject", "erase", str(subject_id), "--dry-run")
        assert first.exit_code == 1, first.output
        assert "webbutik" in first.output
        with pytest.raises(SystemsWaiting), cli_transaction() as session:
            complete_request(
                session,
                operator_context("test"),
                policy=load_policy(BOKHANDEL),
                request_id=request_id,
                link_base="",
            )
        still = run("requests", "retry", "--json")
        assert still.exit_code == 0, still.output
        assert json.loads(still.output) == {"completed": [], "waiting": [request_id], "failed": []}
        listed = run("requests", "list", "--json")
        assert json.loads(listed.output)[0]["waiting_for"] == ["webbutik"]
        monkeypatch.setenv(url_variable("webbutik"), url)
        done = run("requests", "retry", "--json")
        assert json.loads(done.output) == {"completed": [request_id], "waiting": [], "failed": []}
        with cli_transaction() as session:
            answered = session.get(SubjectRequest, request_id)
            assert answered is not None
            assert answered.status is RequestStatus.COMPLETED
            assert "(requests retry)" in (answered.handled_by or "")
        assert json.loads(run("requests", "retry", "--json").output)["completed"] == []
