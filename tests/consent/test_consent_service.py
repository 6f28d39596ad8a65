"""Banner choices as evidence: GPC, text versions, strict input, the latest choice wins."""

from __future__ import annotations

from importlib import resources

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dataskydd.consent import gpc, origins, repository, service
from dataskydd.consent.schemas import ConsentChoice, choice_context, truncate_user_agent
from dataskydd.errors import Conflict, InvalidInput
from dataskydd.policy.checks import check_policy
from dataskydd.policy.loader import PolicyError, load_bundled_policy, parse_policy
from dataskydd.policy.schema import BannerPurpose, LocalizedText, Policy

POLICY = load_bundled_policy()
VERSION = POLICY.consent_banner.text_version  # type: ignore[union-attr]
VISITOR = "0123456789abcdef" * 2
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 " * 3


def choice(granted: list[str], **extra: object) -> ConsentChoice:
    return ConsentChoice.model_validate(
        {"visitor_id": VISITOR, "text_version": VERSION, "granted": granted, **extra}
    )


def text(word: str) -> LocalizedText:
    return LocalizedText(sv=word, en=word)


def with_choices(**choices: BannerPurpose) -> Policy:
    """The bundled policy with a banner of other choices (keys the code has never seen)."""
    banner = POLICY.consent_banner
    assert banner is not None
    return POLICY.model_copy(
        update={"consent_banner": banner.model_copy(update={"purposes": choices})}
    )


def choice_of(**flags: object) -> BannerPurpose:
    return BannerPurpose.model_validate({"title": text("t"), "description": text("d"), **flags})


OTHER = with_choices(
    baskorg=choice_of(necessary=True),
    matning=choice_of(policy_purpose="web_analytics", measures_visits=True),
    kampanj=choice_of(policy_purpose="web_analytics", tracking_pixel=True, refused_under_gpc=True),
    tips=choice_of(policy_purpose="recommendations", refused_under_gpc=True),
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

    def test_choices_and_gpc_follow_the_policy_not_fixed_keys(self, session: Session) -> None:
        record = service.record_choice(
            session,
            OTHER,
            choice=choice(["matning", "kampanj", "tips"]),
            user_agent=UA,
            gpc_header="1",
        )
        assert (record.granted, record.refused) == ("matning", "kampanj,tips")
        record = service.record_choice(
            session, OTHER, choice=choice(["tips"]), user_agent=UA, gpc_header=None
        )
        assert (record.granted, record.refused) == ("tips", "kampanj,matning")

    @pytest.mark.parametrize("key", ["analytics", "baskorg", "ghost"])
    def test_a_key_the_banner_does_not_offer_is_refused(self, session: Session, key: str) -> None:
        with pytest.raises(InvalidInput, match=f"unknown choice '{key}'"):
            service.record_choice(
                session, OTHER, choice=choice([key]), user_agent=UA, gpc_header=None
            )
        assert repository.list_for_visitor(session, VISITOR) == []

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
            ConsentChoice.model_validate(body, context=choice_context(POLICY.consent_banner))  # type: ignore[arg-type]

    def test_the_context_names_the_unknown_choice_and_the_valid_ones(self) -> None:
        body = {"visitor_id": "a" * 32, "text_version": "v", "granted": ["matning", "analytics"]}
        banner = OTHER.consent_banner
        assert banner is not None
        with pytest.raises(ValidationError) as raised:
            ConsentChoice.model_validate(body, context=choice_context(banner))
        message = str(raised.value)
        assert "unknown choice 'analytics'" in message
        assert "matning, kampanj, tips" in message
        assert ConsentChoice.model_validate(
            {**body, "granted": ["matning"]}, context=choice_context(banner)
        ).granted == ["matning"]


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
        assert [p.measures_visits for p in config.purposes] == [False, True, False, False]
        assert [p.tracking_pixel for p in config.purposes] == [False, False, True, False]
        assert [p.refused_under_gpc for p in config.purposes] == [False, False, True, False]
        expected = ("Acceptera", "Neka", "Inställningar") if lang == "sv" else ("Accept", "Reject")
        assert all(text in (config.accept, config.reject, config.settings) for text in expected)

    def test_the_config_of_other_choices_carries_their_flags(self) -> None:
        config = service.banner_config(OTHER, lang="sv")
        flags = {
            p.key: (p.required, p.measures_visits, p.tracking_pixel, p.refused_under_gpc)
            for p in config.purposes
        }
        assert flags == {
            "baskorg": (True, False, False, False),
            "matning": (False, True, False, False),
            "kampanj": (False, False, True, True),
            "tips": (False, False, False, True),
        }

    def test_a_banner_purpose_mapped_to_an_undeclared_policy_purpose_is_an_error(self) -> None:
        banner = POLICY.consent_banner
        assert banner is not None
        broken = banner.purposes["analytics"].model_copy(update={"policy_purpose": "ghost"})
        purposes = {**banner.purposes, "analytics": broken}
        policy = POLICY.model_copy(
            update={"consent_banner": banner.model_copy(update={"purposes": purposes})}
        )
        codes = [f.code for f in check_policy(policy)]
        assert "banner_undeclared_purpose" in codes
        assert "banner_undeclared_purpose" not in [f.code for f in check_policy(POLICY)]

    def test_an_optional_choice_without_a_policy_purpose_is_an_error(self) -> None:
        policy = with_choices(
            baskorg=choice_of(necessary=True), matning=choice_of(measures_visits=True)
        )
        (finding,) = [f for f in check_policy(policy) if f.code == "banner_unmapped_purpose"]
        assert finding.path == "consent_banner.purposes.matning.policy_purpose"


class TestBannerChoicesInTheFile:
    """The rules the software needs of the choices, reported with the file's line."""

    @staticmethod
    def banner_yaml(choices: str) -> str:
        bundled = resources.files("dataskydd.policy").joinpath("bundled/omilon.yaml")
        text = bundled.read_text("utf-8")
        start = text.index("  purposes:\n    necessary:")
        end = text.index("  gpc_note:")
        return text[:start] + "  purposes:\n" + choices + text[end:]

    def line_of(self, text: str, needle: str) -> int:
        return text[: text.index(needle)].count("\n") + 1

    CHOICE = "      title: {{sv: t, en: t}}\n      description: {{sv: d, en: d}}\n{flags}"

    def choices(self, **flags: str) -> str:
        return "".join(
            f"    {key}:\n"
            + self.CHOICE.format(flags="".join(f"      {f}\n" for f in flag.split(";") if f))
            for key, flag in flags.items()
        )

    def error(self, **flags: str) -> tuple[str, str]:
        text = self.banner_yaml(self.choices(**flags))
        with pytest.raises(PolicyError) as raised:
            parse_policy(text, "policy.yaml")
        return str(raised.value), text

    def test_other_keys_with_the_flags_load(self) -> None:
        text = self.banner_yaml(
            self.choices(
                kakor="necessary: true",
                besok="policy_purpose: web_analytics;measures_visits: true",
            )
        )
        banner = parse_policy(text, "policy.yaml").consent_banner
        assert banner is not None
        assert (banner.necessary_choice, banner.optional_choices) == ("kakor", ("besok",))
        assert banner.visit_choices == {"besok"}
        assert banner.pixel_choice is None

    @pytest.mark.parametrize(
        ("flags", "says"),
        [
            ({"besok": "policy_purpose: web_analytics;measures_visits: true"}, "exactly one"),
            (
                {"a": "necessary: true", "b": "necessary: true", "c": "measures_visits: true"},
                "found: a, b",
            ),
            (
                {"kakor": "necessary: true", "besok": "policy_purpose: web_analytics"},
                "measures_visits",
            ),
            (
                {
                    "kakor": "necessary: true",
                    "besok": "policy_purpose: web_analytics;measures_visits: true",
                    "p1": "policy_purpose: web_analytics;tracking_pixel: true",
                    "p2": "policy_purpose: web_analytics;tracking_pixel: true",
                },
                "at most one choice may be `tracking_pixel: true`; found: p1, p2",
            ),
            (
                {
                    "kakor": "necessary: true;refused_under_gpc: true",
                    "besok": "measures_visits: true",
                },
                "takes no refused_under_gpc",
            ),
        ],
    )
    def test_rules_are_errors_at_the_purposes_line(self, flags: dict[str, str], says: str) -> None:
        message, text = self.error(**flags)
        line = self.line_of(text, "  purposes:\n")
        assert f"policy.yaml line {line}: consent_banner.purposes:" in message
        assert says in message

    def test_an_unknown_flag_is_an_error_with_its_line(self) -> None:
        message, text = self.error(kakor="necessary: true", besok="measures_visit: true")
        line = self.line_of(text, "      measures_visit: true")
        assert (
            f"policy.yaml line {line}: consent_banner.purposes.besok.measures_visit: unknown key"
            in message
        )

    def test_too_long_keys_for_a_consent_record(self) -> None:
        long = {f"choice_{n}_{'x' * 20}": "policy_purpose: web_analytics" for n in range(4)}
        message, _text = self.error(kakor="necessary: true", besok="measures_visits: true", **long)
        assert "at most 100" in message


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

    @pytest.mark.parametrize("origin", ["http://[::1", "https://[", "http://]x["])
    def test_an_origin_that_does_not_parse_is_no_origin(self, origin: str) -> None:
        assert not origins.is_same_origin(origin, "ds.example")
        assert not origins.allowed(origin, host="[::1", configured=frozenset({"*", origin}))
