"""Every promise holds on a register built through the app, and each is named broken, with
the offending ids, once the data shows it broken.

The audit log cannot be written around its MAC chain, so a violation is produced the way a
bug would leave it: the subject's state changed underneath an allowed read (an objection or
restriction backdated, a consent deleted, a role changed), or an allowed decision recorded
that the access decision would have refused (audit_service.record, as a buggy caller would).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection, SubjectConsent
from dataskydd.audit import ddl
from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.models import StaffSession
from dataskydd.auth.sessions import END_INACTIVITY
from dataskydd.clock import utc_now
from dataskydd.config import Settings
from dataskydd.datamap import entries
from dataskydd.errors import Forbidden
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import TransferMechanism
from dataskydd.promises import registry
from dataskydd.promises.registry import MAX_OFFENDING, Status
from dataskydd.promises.service import AUDIT_ACTION, load_checks
from dataskydd.register.enums import UsageKind
from dataskydd.register.models import Restriction, UsageEvent
from dataskydd.subject_requests import systems as request_systems
from dataskydd.subject_requests.models import (
    ReceiptAction,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from tests.promises.conftest import World, broken_keys, by_key


def _bug_allows(
    world: World, *, purpose: str, subject: str | None, detail: dict[str, object]
) -> int:
    """An allowed decision the access decision would have refused, recorded as a bug would."""
    entry = audit_service.record(
        world.session,
        actor="cli:test",
        action="subject.show" if subject else "statistics.read",
        subject_id=world.subjects[subject] if subject else None,
        purpose=purpose,
        detail={"decision": "allow", **detail},
    )
    return entry.id


class TestAllHold:
    def test_nothing_is_broken_on_a_register_built_by_the_app(self, world: World) -> None:
        report = world.check()
        assert report.ok, [(e.key, e.evidence.en, e.offending) for e in report.broken]
        assert broken_keys(report) == set()

    def test_every_kind_of_promise_is_reported(self, world: World) -> None:
        keys = by_key(world.check())
        assert {
            "audit_log",
            "roles",
            "purpose.customer_relationship",
            "purpose.marketing",
            "objection.marketing",
            "objection.recommendations",
            "objection.statistics",
            "consent.marketing",
            "consent.surveys",
            "consent.web_analytics",
            "restriction",
            "case_required.legal_claims_and_authorities",
            "aggregates_only.statistics",
            "k_anonymity",
            "inactivity",
            "retention.billing",
            "recipient.hosting",
        } <= set(keys)

    def test_evidence_has_figures_and_both_languages(self, world: World) -> None:
        keys = by_key(world.check())
        consent = keys["consent.marketing"]
        assert consent.status is Status.HOLDS
        assert consent.evidence.en == (
            "allowed uses for marketing at a time the subject had no standing consent: 0 of 1"
        )
        assert consent.promise.sv.startswith("Anpassad kommunikation och nyhetsbrev: bara med")
        marketing = keys["objection.marketing"]
        assert "omedelbart" in marketing.promise.sv
        assert "at once" in marketing.promise.en

    def test_retention_and_recipients_hold_with_their_evidence(self, world: World) -> None:
        report = world.check()
        retention = by_key(report)["retention.billing"]
        assert retention.status is Status.HOLDS
        assert retention.evidence.en.startswith("rows kept past their retention rule: 0;")
        assert "bokföringslagen" in retention.promise.sv
        hosting = by_key(report)["recipient.hosting"]
        assert hosting.status is Status.HOLDS
        assert "agreement.hosting" in hosting.evidence.en
        assert by_key(report)["agreement.hosting"].status is Status.HOLDS
        assert report.ok

    def test_reading_the_report_is_audited(self, world: World, session: Session) -> None:
        world.check()
        [entry] = audit_service.list_entries(session, action=AUDIT_ACTION, limit=1)
        assert entry.actor == "cli:test"
        assert entry.detail["broken"] == []
        assert entry.detail["counts"]["broken"] == 0

    def test_needs_audit_read(self, world: World) -> None:
        with pytest.raises(Forbidden):
            world.check(caller=world.context("anna"))


class TestRetention:
    def test_a_row_kept_past_its_rule_breaks_the_category(
        self, world: World, session: Session
    ) -> None:
        category = entries.category_of("usage_event", "occurred_at")
        session.add(
            UsageEvent(
                subject_id=world.subjects["kim"],
                occurred_at=datetime(2020, 1, 1, tzinfo=UTC),
                kind=UsageKind.VIEW,
            )
        )
        session.flush()
        evidence = by_key(world.check())[f"retention.{category}"]
        assert evidence.status is Status.BROKEN
        assert evidence.offending == (f"category:{category}:1",)
        assert evidence.evidence.sv.startswith("rader kvar efter sin gallringsregel: 1;")


class TestObjection:
    def test_read_after_a_backdated_objection_to_marketing_is_named(self, world: World) -> None:
        kim = world.subjects["kim"]
        world.session.add(Objection(subject_id=kim, purpose="marketing", objected_at=world.started))
        world.session.flush()
        report = world.check()
        assert broken_keys(report) == {"objection.marketing"}
        evidence = by_key(report)["objection.marketing"]
        assert evidence.offending == (f"audit_entry:{world.reads['marketing']} subject:{kim}",)
        assert "after the objection: 1" in evidence.evidence.en
        assert not report.ok

    def test_objection_after_the_read_holds(self, world: World) -> None:
        world.session.add(
            Objection(subject_id=world.subjects["kim"], purpose="marketing", objected_at=utc_now())
        )
        world.session.flush()
        assert "objection.marketing" not in broken_keys(world.check())

    def test_withdrawn_before_the_read_holds(self, world: World) -> None:
        world.session.add(
            Objection(
                subject_id=world.subjects["kim"],
                purpose="marketing",
                objected_at=world.started - timedelta(days=2),
                withdrawn_at=world.started - timedelta(days=1),
            )
        )
        world.session.flush()
        assert "objection.marketing" not in broken_keys(world.check())

    def test_compelling_grounds_end_the_window_except_for_direct_marketing(
        self, world: World
    ) -> None:
        kim = world.subjects["kim"]
        before = world.started - timedelta(minutes=1)
        for purpose in ("recommendations", "marketing"):
            world.session.add(
                Objection(
                    subject_id=kim,
                    purpose=purpose,
                    objected_at=before,
                    overridden_at=before + timedelta(seconds=1),
                    overridden_by="staff:dora",
                    override_reason="compelling grounds recorded in the test",
                )
            )
        world.session.flush()
        assert broken_keys(world.check()) == {"objection.marketing"}

    def test_read_before_the_grounds_were_recorded_is_named(self, world: World) -> None:
        kim = world.subjects["kim"]
        world.session.add(
            Objection(
                subject_id=kim,
                purpose="recommendations",
                objected_at=world.started,
                overridden_at=utc_now(),
                overridden_by="staff:dora",
                override_reason="compelling grounds recorded too late",
            )
        )
        world.session.flush()
        evidence = by_key(world.check())["objection.recommendations"]
        assert evidence.status is Status.BROKEN
        assert evidence.offending == (f"audit_entry:{world.reads['recommend']} subject:{kim}",)


class TestConsent:
    def test_deleted_consent_names_the_read(self, world: World) -> None:
        kim = world.subjects["kim"]
        world.session.execute(delete(SubjectConsent).where(SubjectConsent.subject_id == kim))
        report = world.check()
        assert broken_keys(report) == {"consent.marketing"}
        assert by_key(report)["consent.marketing"].offending == (
            f"audit_entry:{world.reads['marketing']} subject:{kim}",
        )

    def test_consent_withdrawn_before_the_read_names_it(self, world: World) -> None:
        world.session.execute(
            update(SubjectConsent).values(withdrawn_at=world.started - timedelta(seconds=1))
        )
        assert broken_keys(world.check()) == {"consent.marketing"}

    def test_consent_withdrawn_after_the_read_holds(self, world: World) -> None:
        world.session.execute(update(SubjectConsent).values(withdrawn_at=utc_now()))
        assert broken_keys(world.check()) == set()


class TestRestriction:
    def test_backdated_restriction_of_a_granted_category_names_the_read(self, world: World) -> None:
        kim = world.subjects["kim"]
        restriction = Restriction(
            subject_id=kim,
            category="contact",
            reason="the subject contests accuracy",
            restricted_at=world.started - timedelta(days=1),
        )
        world.session.add(restriction)
        world.session.flush()
        report = world.check()
        assert broken_keys(report) == {"restriction"}
        # Anna's customer-service read and the marketing read both granted contact.
        assert by_key(report)["restriction"].offending == (
            f"audit_entry:{world.reads['service']} subject:{kim} restriction:{restriction.id}",
            f"audit_entry:{world.reads['marketing']} subject:{kim} restriction:{restriction.id}",
        )

    def test_purposes_allowed_on_restricted_data_and_lifted_restrictions_hold(
        self, world: World
    ) -> None:
        lo, kim = world.subjects["lo"], world.subjects["kim"]
        earlier = world.started - timedelta(days=1)
        world.session.add_all(
            [
                # Lo is read for bookkeeping only, which may use restricted data.
                Restriction(subject_id=lo, category="billing", reason="r", restricted_at=earlier),
                Restriction(
                    subject_id=kim,
                    category="contact",
                    reason="r",
                    restricted_at=earlier,
                    lifted_at=earlier + timedelta(hours=1),
                ),
                # A category no read was granted.
                Restriction(
                    subject_id=kim, category="web_analytics", reason="r", restricted_at=earlier
                ),
            ]
        )
        world.session.flush()
        assert broken_keys(world.check()) == set()


class TestRoles:
    def test_role_without_the_purpose_names_the_read(self, world: World) -> None:
        anna = world.staff["anna"]
        world.session.execute(
            text("UPDATE staff_user SET role = 'analyst' WHERE id = :id"), {"id": anna.id}
        )
        world.session.expire_all()
        report = world.check()
        assert broken_keys(report) == {"roles"}
        assert by_key(report)["roles"].offending == (
            f"audit_entry:{world.reads['service']} staff_user:{anna.id}",
        )

    def test_role_the_policy_does_not_declare_names_every_read(self, world: World) -> None:
        dora = world.staff["dora"]
        world.session.execute(
            text("UPDATE staff_user SET role = 'intern' WHERE id = :id"), {"id": dora.id}
        )
        report = world.check()
        assert by_key(report)["roles"].offending == (
            f"audit_entry:{world.reads['books']} staff_user:{dora.id}",
        )


class TestPurposeCategories:
    def test_a_category_the_purpose_does_not_use_is_named(self, world: World) -> None:
        bad = _bug_allows(
            world,
            purpose="marketing",
            subject="kim",
            detail={"categories": ["identity", "billing"]},
        )
        _bug_allows(
            world,
            purpose="marketing",
            subject="kim",
            detail={"categories": ["identity", "contact"]},
        )
        report = world.check()
        assert broken_keys(report) == {"purpose.marketing"}
        evidence = by_key(report)["purpose.marketing"]
        assert evidence.offending == (f"audit_entry:{bad} subject:{world.subjects['kim']}",)
        assert evidence.evidence.en == (
            "allowed uses for marketing of a category the purpose does not use: 1 of 3"
        )
        assert evidence.promise.en.startswith(
            "Tailored communication and newsletters: legal basis consent"
        )
        assert evidence.promise.sv.startswith(
            "Anpassad kommunikation och nyhetsbrev: rättslig grund samtycke"
        )

    def test_an_aggregate_granting_a_category_outside_is_named(self, world: World) -> None:
        bad = _bug_allows(
            world, purpose="statistics", subject=None, detail={"categories": ["national_id"]}
        )
        report = world.check()
        assert broken_keys(report) == {"purpose.statistics"}
        assert by_key(report)["purpose.statistics"].offending == (
            f"audit_entry:{bad} subject:None",
        )


class TestCaseAndAggregates:
    def test_case_bound_purpose_without_a_case_is_named(self, world: World) -> None:
        purpose = "legal_claims_and_authorities"
        bad = _bug_allows(world, purpose=purpose, subject="lo", detail={"categories": ["identity"]})
        _bug_allows(
            world, purpose=purpose, subject="lo", detail={"case": "request:1", "categories": []}
        )
        report = world.check()
        assert broken_keys(report) == {f"case_required.{purpose}"}
        evidence = by_key(report)[f"case_required.{purpose}"]
        assert evidence.offending == (f"audit_entry:{bad} subject:{world.subjects['lo']}",)
        assert evidence.evidence.en.endswith("without a case: 1 of 2")

    def test_aggregate_only_purpose_naming_a_subject_is_named(self, world: World) -> None:
        bad = _bug_allows(world, purpose="statistics", subject="kim", detail={"categories": []})
        report = world.check()
        assert broken_keys(report) == {"aggregates_only.statistics"}
        assert by_key(report)["aggregates_only.statistics"].offending == (
            f"audit_entry:{bad} subject:{world.subjects['kim']}",
        )

    def test_aggregate_under_another_purpose_or_smaller_k_is_named(self, world: World) -> None:
        wrong_purpose = _bug_allows(world, purpose="customer_relationship", subject=None, detail={})
        small_k = _bug_allows(world, purpose="statistics", subject=None, detail={"k": 5})
        _bug_allows(world, purpose="statistics", subject=None, detail={"k": 10})
        report = world.check()
        assert broken_keys(report) == {"k_anonymity"}
        assert by_key(report)["k_anonymity"].offending == (
            f"audit_entry:{wrong_purpose} purpose:customer_relationship",
            f"audit_entry:{small_k} purpose:statistics",
        )

    def test_offending_ids_are_capped_but_counted(self, world: World) -> None:
        for _ in range(MAX_OFFENDING + 2):
            _bug_allows(world, purpose="statistics", subject="kim", detail={})
        evidence = by_key(world.check())["aggregates_only.statistics"]
        assert len(evidence.offending) == MAX_OFFENDING
        assert f"concerned one subject: {MAX_OFFENDING + 2} of" in evidence.evidence.en


class TestInactivity:
    def test_a_longer_configured_timeout_breaks_the_promise(
        self, world: World, settings: Settings
    ) -> None:
        longer = settings.model_copy(update={"session_inactivity_seconds": 3600})
        report = world.check(settings=longer)
        assert broken_keys(report) == {"inactivity"}
        assert by_key(report)["inactivity"].offending == (
            "setting:DATASKYDD_SESSION_INACTIVITY_SECONDS=3600",
        )

    def test_shorter_timeout_holds_and_sessions_are_counted(
        self, world: World, settings: Settings
    ) -> None:
        anna = world.staff["anna"]
        long_ago = utc_now() - timedelta(hours=2)
        world.session.add_all(
            [
                StaffSession(
                    token_hash="a" * 64,
                    user_id=anna.id,
                    csrf_token="c",
                    last_seen_at=long_ago,
                    ended_at=long_ago + timedelta(minutes=20),
                    end_reason=END_INACTIVITY,
                ),
                StaffSession(
                    token_hash="b" * 64, user_id=anna.id, csrf_token="c", last_seen_at=long_ago
                ),
            ]
        )
        world.session.flush()
        shorter = settings.model_copy(update={"session_inactivity_seconds": 60})
        evidence = by_key(world.check(settings=shorter))["inactivity"]
        assert evidence.status is Status.HOLDS
        assert "after 60 seconds" in evidence.evidence.en
        assert "ended for inactivity so far: 1" in evidence.evidence.en
        assert "ended at their next request: 1" in evidence.evidence.en


class TestAuditLog:
    def test_holds_against_a_checkpoint(self, world: World, settings: Settings) -> None:
        assert settings.audit_checkpoint_file is not None
        audit_service.write_checkpoint(world.session, settings.audit_checkpoint_file)
        evidence = by_key(world.check())["audit_log"]
        assert evidence.status is Status.HOLDS
        assert "matching the checkpoint of" in evidence.evidence.en

    def test_a_changed_entry_is_named(self, world: World, engine: Engine) -> None:
        session = world.session
        for statement in ddl.drop_append_only_trigger_sql(engine.dialect.name):
            session.execute(text(statement))
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == world.reads["marketing"])
            .values(purpose="customer_relationship")
        )
        report = world.check()
        evidence = by_key(report)["audit_log"]
        assert evidence.status is Status.BROKEN
        assert evidence.offending == (f"audit_entry:{world.reads['marketing']}",)
        assert "modified" in evidence.evidence.en

    def test_detail_edited_into_invalid_json_breaks_the_log_and_no_check_crashes(
        self, world: World, engine: Engine
    ) -> None:
        session = world.session
        for statement in ddl.drop_append_only_trigger_sql(engine.dialect.name):
            session.execute(text(statement))
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == world.reads["service"])
            .values(detail_json="{not json")
        )
        report = world.check()
        keys = by_key(report)
        assert keys["audit_log"].offending == (f"audit_entry:{world.reads['service']}",)
        # The JSON functions refuse the row: each check that reads details says it could not
        # run (broken, so the command fails), and the checks after it still run.
        roles = keys["roles"]
        assert roles.status is Status.BROKEN
        assert roles.offending == ("check:roles",)
        assert "could not run in the database" in roles.evidence.en
        assert keys["inactivity"].status is Status.HOLDS
        assert not report.ok


class TestRecipients:
    def test_an_overdue_review_is_broken(self, world: World) -> None:
        bundled = load_bundled_policy()
        world.policy = bundled.model_copy(
            update={
                "recipients": tuple(
                    r.model_copy(update={"review_date": date(2025, 11, 15)})
                    if r.key == "hosting"
                    else r
                    for r in bundled.recipients
                )
            }
        )
        report = world.check()
        hosting = by_key(report)["recipient.hosting"]
        assert hosting.status is Status.BROKEN
        assert hosting.offending == ("recipient:hosting",)
        assert "2025-11-15" in hosting.evidence.en
        assert "recipient.hosting" in broken_keys(report)

    def test_review_in_the_future_holds(self, world: World) -> None:
        world.policy = world.policy.model_copy(
            update={
                "recipients": tuple(
                    r.model_copy(update={"review_date": date(2999, 1, 1)})
                    for r in world.policy.recipients
                )
            }
        )
        evidence = by_key(world.check())["recipient.survey_tool"]
        assert evidence.status is Status.HOLDS
        assert "next review due 2999-01-01" in evidence.evidence.en
        assert "standard contractual clauses" in evidence.promise.en

    def test_third_country_without_a_safeguard_is_broken(self, world: World) -> None:
        world.policy = world.policy.model_copy(
            update={
                "recipients": tuple(
                    r.model_copy(update={"transfer_mechanism": TransferMechanism.NONE})
                    if r.key == "survey_tool"
                    else r
                    for r in world.policy.recipients
                )
            }
        )
        report = world.check()
        assert broken_keys(report) == {"recipient.survey_tool"}
        assert "no transfer safeguard" in by_key(report)["recipient.survey_tool"].evidence.en


class TestRegistry:
    def test_checks_are_discovered_without_the_registry_naming_them(self) -> None:
        assert "checks_subject_state" in load_checks()
        assert "objection" in {entry.key for entry in registry.registered()}

    def test_a_key_registered_twice_is_refused(self) -> None:
        def other(*_: object) -> registry.Evidence:
            raise AssertionError

        with pytest.raises(ValueError, match="registered twice"):
            registry.promise(key="objection", title_sv="x", title_en="x")(other)


class TestSystems:
    """The data map's promises: every system covered, no request overdue for a system."""

    def test_both_hold_on_the_bundled_map(self, world: World) -> None:
        keys = by_key(world.check())
        assert keys["data_map"].status is Status.HOLDS
        assert "errors: 0" in keys["data_map"].evidence.en
        assert keys["systems_waiting"].status is Status.HOLDS

    def test_a_category_the_policy_lacks_breaks_the_map_promise(self, world: World) -> None:
        bundled = entries.current()
        register = bundled.register
        subject = register.by_table["subject"]
        changed = replace(subject, columns={**subject.columns, "kind": "not_in_the_policy"})
        tables = tuple(changed if t.table == "subject" else t for t in register.tables)
        entries.install(replace(bundled, systems=(replace(register, tables=tables),)))
        try:
            broken = by_key(world.check())["data_map"]
        finally:
            entries.install(bundled)
        assert broken.status is Status.BROKEN
        assert any("tables.subject" in o for o in broken.offending), broken.offending

    def test_a_request_overdue_while_waiting_for_a_system_is_named(self, world: World) -> None:
        request = SubjectRequest(
            kind=RequestKind.ERASURE,
            status=RequestStatus.OPEN,
            channel=RequestChannel.LETTER,
            subject_id=world.subjects["kim"],
            due_on=date.today() - timedelta(days=1),
        )
        world.session.add(request)
        world.session.flush()
        request_systems.record(
            world.session,
            system="webbutik",
            subject_id=world.subjects["kim"],
            request_id=request.id,
            action=ReceiptAction.ERASURE,
            by="test",
            problem="system 'webbutik' could not be reached (OperationalError)",
        )
        broken = by_key(world.check())["systems_waiting"]
        assert broken.status is Status.BROKEN
        assert list(broken.offending) == [f"subject_request:{request.id}"]
