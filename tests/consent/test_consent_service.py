"""Banner choices as evidence: GPC, text versions, strict input, the latest choice wins."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dataskydd.consent import gpc, origins, repository, service
from dataskydd.consent.schemas import ConsentChoice, truncate_user_agent
from dataskydd.errors import Conflict
from dataskydd.policy.checks import check_policy
from dataskydd.policy.loader import load_bundled_policy

POLICY = load_bundled_policy()
VERSION = POLICY.consent_banner.text_version  # type: ignore[union-attr]
VISITOR = "0123456789abcdef" * 2
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 " * 3


def choice(granted: list[str], **extra: object) -> ConsentChoice:
    return ConsentChoice.model_validate(
        {"visitor_id": VISITOR, "text_version": VERSION, "granted": granted, **extra}
    )


class TestRecordChoice:
    def test_keeps_purposes_version_time_and_truncated_user_agent(self, session: Session) -> None:
        record = service.record_choice(
            session, POLICY, choice=choice(["analytics"]), user_agent=UA, gpc_header=None
        )
        assert record.granted == "analytics"
        assert record.refused == "marketing,personalisation"
        assert record.text_version == VERSION
        assert record.recorded_at is not None
        assert len(record.user_agent) == 120
        assert UA.startswith(record.user_agent)
        assert record.gpc is False

    @pytest.mark.parametrize(("header", "flag"), [("1", False), (None, True)])
    def test_gpc_refuses_marketing_whatever_the_toggles_say(
        self, session: Session, header: str | None, flag: bool
    ) -> None:
        everything = ["analytics", "marketing", "personalisation"]
        record = service.record_choice(
            session, POLICY, choice=choice(everything, gpc=flag), user_agent=UA, gpc_header=header
        )
        assert record.gpc is True
        assert "marketing" not in record.granted_purposes
        assert record.granted_purposes == {"analytics", "personalisation"}

    def test_a_choice_under_an_old_text_version_is_refused(self, session: Session) -> None:
        old = ConsentChoice(visitor_id=VISITOR, text_version="2020-01-01", granted=["analytics"])
        with pytest.raises(Conflict):
            service.record_choice(session, POLICY, choice=old, user_agent=UA, gpc_header=None)

    def test_the_latest_choice_decides(self, session: Session) -> None:
        for granted in (["analytics", "marketing"], []):
            service.record_choice(
                session, POLICY, choice=choice(granted), user_agent=UA, gpc_header=None
            )
        assert repository.latest_granted(session, [VISITOR, "f" * 32]) == {VISITOR: frozenset()}
        assert len(repository.list_for_visitor(session, VISITOR)) == 2


class TestChoiceSchema:
    @pytest.mark.parametrize(
        "body",
        [
            {"visitor_id": "NOT-HEX", "text_version": "v", "granted": []},
            {"visitor_id": "a" * 31, "text_version": "v", "granted": []},
            {"visitor_id": "a" * 32, "text_version": "v", "granted": ["tracking"]},
            {"visitor_id": "a" * 32, "text_version": "v", "granted": "analytics"},
            {"visitor_id": "a" * 32, "text_version": "v", "granted": [], "gpc": "yes"},
            {"visitor_id": "a" * 32, "text_version": "v", "granted": [], "extra": 1},
            {"visitor_id": 12345, "text_version": "v", "granted": []},
        ],
    )
    def test_refuses_forged_ids_unknown_purposes_and_wrong_types(self, body: object) -> None:
        with pytest.raises(ValidationError):
            ConsentChoice.model_validate(body)


class TestBannerConfig:
    @pytest.mark.parametrize("lang", ["sv", "en"])
    def test_texts_come_from_the_policy_with_the_text_version(self, lang: str) -> None:
        config = service.banner_config(POLICY, lang=lang)  # type: ignore[arg-type]
        assert config.text_version == VERSION
        assert [p.key for p in config.purposes] == [
            "necessary",
            "analytics",
            "marketing",
            "personalisation",
        ]
        assert [p.required for p in config.purposes] == [True, False, False, False]
        expected = ("Acceptera", "Neka", "Inställningar") if lang == "sv" else ("Accept", "Reject")
        assert all(text in (config.accept, config.reject, config.settings) for text in expected)

    def test_a_banner_purpose_mapped_to_an_undeclared_policy_purpose_is_an_error(self) -> None:
        banner = POLICY.consent_banner
        assert banner is not None
        broken_purpose = banner.purposes.analytics.model_copy(update={"policy_purpose": "ghost"})
        purposes = banner.purposes.model_copy(update={"analytics": broken_purpose})
        policy = POLICY.model_copy(
            update={"consent_banner": banner.model_copy(update={"purposes": purposes})}
        )
        codes = [f.code for f in check_policy(policy)]
        assert "banner_undeclared_purpose" in codes
        assert "banner_undeclared_purpose" not in [f.code for f in check_policy(POLICY)]


class TestPlainHelpers:
    def test_gpc_signal(self) -> None:
        assert gpc.signalled("1")
        assert gpc.signalled(None, True)
        assert not gpc.signalled("0")
        assert not gpc.signalled(None)

    def test_user_agent_is_cut_and_cleaned(self) -> None:
        assert truncate_user_agent("a\nb" + "c" * 200) == "ab" + "c" * 118
        assert truncate_user_agent(None) == ""

    def test_origins(self) -> None:
        configured = origins.parse_origins(" https://www.omilon.se/ , https://shop.omilon.se")
        assert origins.allowed("https://www.omilon.se", host="ds.example", configured=configured)
        assert origins.allowed("https://ds.example", host="ds.example", configured=frozenset())
        assert origins.allowed(None, host="ds.example", configured=frozenset())
        assert not origins.allowed("https://evil.example", host="ds.example", configured=configured)
