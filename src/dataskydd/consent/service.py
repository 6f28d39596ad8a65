"""Recording a banner choice, and the banner's texts per language."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from dataskydd.consent import gpc as gpc_signal
from dataskydd.consent import repository
from dataskydd.consent.models import ConsentRecord
from dataskydd.consent.schemas import (
    BannerConfig,
    ConsentChoice,
    ConsentRecorded,
    CookieText,
    PurposeText,
    truncate_user_agent,
    unknown_choice,
)
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg, reason_of
from dataskydd.policy.schema import BannerPurpose, ConsentBanner, Lang, Policy

COOKIE_NAME = "dataskydd_consent"
# IMY accepts asking again after a reasonable time; twelve months is the common practice.
COOKIE_DAYS = 365
NOTICE_URLS: dict[Lang, str] = {"sv": "/integritetspolicy", "en": "/en/privacy"}


def banner_of(policy: Policy) -> ConsentBanner:
    if policy.consent_banner is None:
        raise NotFound(Msg("the policy has no consent_banner section"))
    return policy.consent_banner


# What the banner script itself stores, listed under the choice it belongs to (the cookie's
# name is COOKIE_NAME; the visit id is kept in sessionStorage, consent.js VISIT_KEY).
VISIT_STORAGE_NAME = "dataskydd_visit"


def own_cookies(purpose: BannerPurpose, *, words: Mapping[str, str]) -> list[CookieText]:
    """The banner's own storage under a choice: the consent cookie is necessary, the visit id
    belongs to the choices that measure visits. `words` are the software's texts for them in
    the page's language."""
    own: list[CookieText] = []
    if purpose.necessary:
        own.append(
            CookieText(
                name=COOKIE_NAME,
                provider=None,
                lifetime=words["consent_cookie_lifetime"],
                description=words["consent_cookie"],
            )
        )
    if purpose.measures_visits:
        own.append(
            CookieText(
                name=VISIT_STORAGE_NAME,
                provider=None,
                lifetime=words["visit_id_lifetime"],
                description=words["visit_id"],
            )
        )
    return own


def banner_config(
    policy: Policy, *, lang: Lang, words: Mapping[str, str] | None = None
) -> BannerConfig:
    """`words`: the software's own texts in `lang` (web/pages/consent_banner.py takes them
    from the catalogues); without them the cookie table lists only the policy's cookies."""
    banner = banner_of(policy)
    return BannerConfig(
        text_version=banner.text_version,
        lang=lang,
        title=banner.title.get(lang),
        body=banner.body.get(lang),
        accept=banner.buttons.accept.get(lang),
        reject=banner.buttons.reject.get(lang),
        settings=banner.buttons.settings.get(lang),
        save=banner.buttons.save.get(lang),
        reopen=banner.buttons.reopen.get(lang),
        gpc_note=banner.gpc_note.get(lang),
        policy_link=banner.policy_link.get(lang),
        policy_url=NOTICE_URLS[lang],
        purposes=[
            PurposeText(
                key=key,
                title=purpose.title.get(lang),
                description=purpose.description.get(lang),
                required=purpose.necessary,
                measures_visits=purpose.measures_visits,
                tracking_pixel=purpose.tracking_pixel,
                refused_under_gpc=purpose.refused_under_gpc,
                cookies=[
                    *(own_cookies(purpose, words=words) if words else []),
                    *(
                        CookieText(
                            name=cookie.name,
                            provider=cookie.provider,
                            lifetime=cookie.lifetime.get(lang),
                            description=cookie.description.get(lang),
                        )
                        for cookie in purpose.cookies
                    ),
                ],
            )
            for key, purpose in banner.purposes.items()
        ],
        count_anonymous=banner.count_anonymous_page_views,
        cookie_name=COOKIE_NAME,
        cookie_days=COOKIE_DAYS,
        labels=dict(words or {}),
    )


def record_choice(
    session: Session,
    policy: Policy,
    *,
    choice: ConsentChoice,
    user_agent: str | None,
    gpc_header: str | None,
) -> ConsentRecord:
    """Evidence of one choice. A choice made under another text version than the current one
    is refused: we could not show which text the visitor agreed to. Every granted key must be
    an optional choice of the policy's banner."""
    banner = banner_of(policy)
    try:
        unknown_choice(choice.granted, banner.optional_choices)
    except ValueError as error:
        raise InvalidInput("granted", reason_of(error)) from None
    if choice.text_version != banner.text_version:
        raise Conflict(Msg("the banner text has changed since it was shown; reload the page"))
    gpc = gpc_signal.signalled(gpc_header, choice.gpc)
    granted = gpc_signal.apply(frozenset(choice.granted), gpc=gpc, refused=banner.refused_under_gpc)
    refused = frozenset(banner.optional_choices) - granted
    record = ConsentRecord(
        visitor_id=choice.visitor_id,
        granted=",".join(sorted(granted)),
        refused=",".join(sorted(refused)),
        text_version=banner.text_version,
        user_agent=truncate_user_agent(user_agent),
        gpc=gpc,
    )
    return repository.add(session, record)


def as_recorded(record: ConsentRecord) -> ConsentRecorded:
    return ConsentRecorded(
        text_version=record.text_version,
        granted=sorted(record.granted_purposes),
        refused=sorted(filter(None, record.refused.split(","))),
        gpc=record.gpc,
    )
