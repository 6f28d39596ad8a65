"""The public privacy notice (GDPR art. 13 and 14), rendered from the policy.

The prose lives in one template per language (`notice_sv.j2`, `notice_en.j2`) and is written
once for both formats: the template imports its block macros from `_html.j2` or `_md.j2`.
This module only picks the language and flattens the policy into plain strings.
"""

from __future__ import annotations

from typing import Any, Literal

from dataskydd.policy import labels
from dataskydd.policy.rendering import environment, tidy_markdown
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import (
    LANGUAGES,
    Branding,
    Lang,
    LegalBasis,
    LocalizedText,
    NoticeTexts,
    Policy,
    RecipientRole,
)

NoticeFormat = Literal["html", "md"]

DEFAULT_ACCESS_REQUEST_HREF = "/registerutdrag"
# Where the company's name in a public page's header leads when the policy names no website:
# the customer's own start, never the staff log-in.
PUBLIC_START_HREF = "/mina-sidor"
NOTICE_HREFS: dict[Lang, str] = {"sv": "/integritetspolicy", "en": "/en/privacy"}

# The company's colours as CSS custom properties, and the rules of the public header and
# footer that use them; shared by the notice and the app's public pages (/branding.css).
# Only validated #rrggbb values go into it (schema.BrandingColours).
_BRAND_RULES = """\
.brand-header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; \
justify-content: space-between; padding: .6rem 1.2rem; background: var(--brand-accent); \
color: var(--brand-accent-text); }
.brand-header a { color: var(--brand-accent-text); }
.brand-header .brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; }
.brand-logo { display: block; max-height: 2.5rem; max-width: 14rem; }
.brand-footer { margin-top: 2rem; padding: 1rem 1.2rem; border-top: 1px solid #d6dae3; \
font-size: .95rem; }
.brand-footer ul { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; \
margin: 0 0 .5rem; padding: 0; }
.brand-footer a { color: var(--brand-accent); }
"""

# Neutral wording used when the policy file leaves a notice text out, so that no art. 13
# item is ever missing from the rendered notice.
_DEFAULT_TEXTS = NoticeTexts(
    title=LocalizedText(sv="Personuppgiftspolicy", en="Privacy policy"),
    intro=LocalizedText(
        sv="Här beskriver vi hur vi behandlar dina personuppgifter och vilka rättigheter du har.",
        en="This notice describes how we process your personal data and what rights you have.",
    ),
    provision_requirement=LocalizedText(
        sv="Uppgifter som behövs för att ingå och fullgöra avtalet måste du lämna; utan dem "
        "kan vi inte leverera tjänsterna. Övriga uppgifter lämnar du frivilligt.",
        en="You must give the details needed to enter into and perform the contract; without "
        "them we cannot deliver the services. Other details are voluntary.",
    ),
    profiling=LocalizedText(
        sv="Vi fattar inga beslut som enbart grundas på automatiserad behandling och som har "
        "rättsliga följder för dig eller på liknande sätt påverkar dig i betydande grad.",
        en="We do not take decisions based solely on automated processing that have legal "
        "effects for you or similarly significantly affect you.",
    ),
)


def render_notice(
    policy: Policy,
    *,
    lang: Lang = "sv",
    fmt: NoticeFormat = "html",
    access_request_href: str = DEFAULT_ACCESS_REQUEST_HREF,
    stylesheet_href: str | None = None,
    brand_stylesheet_href: str | None = None,
) -> str:
    """The public notice. With `stylesheet_href` the page links its CSS instead of inlining
    it, for sites whose Content-Security-Policy forbids inline styles; the company's colours
    then come from `brand_stylesheet_href` (the app's /branding.css)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    html = fmt == "html"
    env = environment(html=html)
    view = notice_view(policy, lang, access_request_href=access_request_href)
    content = f"notice_{lang}.j2"
    if not html:
        return tidy_markdown(env.get_template(content).render(n=view, macros="_md.j2"))
    return env.get_template("page.html.j2").render(
        lang=lang,
        title=view["title"],
        content=content,
        n=view,
        macros="_html.j2",
        stylesheet_href=stylesheet_href,
        brand_stylesheet_href=brand_stylesheet_href,
        brand_css=brand_stylesheet(policy.branding),
        brand=brand_view(policy, lang),
    )


def brand_stylesheet(branding: Branding) -> str:
    colours = branding.colours
    variables = (
        f":root {{ --brand-accent: {colours.accent}; "
        f"--brand-accent-text: {colours.accent_text}; "
        f"--brand-background: {colours.background}; --brand-text: {colours.text}; }}\n"
        "body { background: var(--brand-background); color: var(--brand-text); }\n"
    )
    return variables + _BRAND_RULES


def brand_view(policy: Policy, lang: Lang) -> dict[str, Any]:
    """The company as a public page's header and footer show it."""
    branding = policy.branding
    return {
        "name": branding.display_name(policy.controller),
        "legal_name": policy.controller.name,
        "logo": branding.logo,
        "home_href": branding.home_href(PUBLIC_START_HREF),
        "links": [{"label": link.label.get(lang), "url": link.url} for link in branding.links],
        "notice_href": NOTICE_HREFS[lang],
    }


def _text(policy: Policy, name: str, lang: Lang) -> str | None:
    own: LocalizedText | None = getattr(policy.notice, name)
    fallback: LocalizedText | None = getattr(_DEFAULT_TEXTS, name)
    chosen = own or fallback
    return chosen.get(lang) if chosen else None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def category_titles(policy: Policy, keys: tuple[str, ...], lang: Lang) -> str:
    """ "identitetsuppgifter, kontaktuppgifter" - written to follow a colon."""
    titles = [
        _lower_first(policy.categories[key].title.get(lang))
        for key in keys
        if key in policy.categories
    ]
    return ", ".join(titles)


def notice_view(policy: Policy, lang: Lang, *, access_request_href: str) -> dict[str, Any]:
    controller = policy.controller
    address = controller.postal_address
    return {
        "version": policy.version,
        "title": _text(policy, "title", lang),
        "intro": _text(policy, "intro", lang),
        "provision_requirement": _text(policy, "provision_requirement", lang),
        "profiling_text": _text(policy, "profiling", lang),
        "sources": _text(policy, "sources", lang),
        "accuracy": _text(policy, "accuracy", lang),
        "external_links": _text(policy, "external_links", lang),
        "controller": {
            "name": controller.name,
            "organisationsnummer": controller.organisationsnummer,
            "street": address.street,
            "postal_code_city": f"{address.postal_code} {address.city}",
            "phone": controller.phone,
            "email": controller.email,
            "website": controller.website,
        },
        "dpo": policy.dpo.model_dump() if policy.dpo else None,
        "authority": {
            "name": policy.supervisory_authority.name.get(lang),
            "website": policy.supervisory_authority.website,
        },
        "subject_kinds": labels.enumerate_words(
            [_lower_first(k.title.get(lang)) for k in policy.subject_kinds.values()], lang
        ),
        "categories": [
            {
                "title": category.title.get(lang),
                "description": category.description.get(lang),
                "fields": ", ".join(field.get(lang) for field in category.fields),
                "source": labels.data_source(category.source, lang),
                "retention": describe_retention(category.retention, lang),
            }
            for category in policy.categories.values()
        ],
        "retention_rows": [
            [category.title.get(lang), describe_retention(category.retention, lang)]
            for category in policy.categories.values()
        ],
        "purposes": [_purpose_view(policy, key, lang) for key in policy.purposes],
        "has_consent": any(p.legal_basis is LegalBasis.CONSENT for p in policy.purposes.values()),
        "profiling_purposes": labels.enumerate_words(
            [
                _lower_first(p.title.get(lang))
                for p in policy.purposes.values()
                if p.profiling or p.automated_decision
            ],
            lang,
        ),
        # Art. 13.2 f: per profiling purpose, the logic involved and its consequences.
        "profiling_logic": [
            {"title": p.title.get(lang), "logic": p.profiling_logic.get(lang)}
            for p in policy.purposes.values()
            if (p.profiling or p.automated_decision) and p.profiling_logic is not None
        ],
        "recipient_groups": _recipient_groups(policy, lang),
        "transfers": [
            {
                "name": r.name,
                "country": labels.country(r.country, lang),
                "mechanism": labels.transfer_mechanism(r.transfer_mechanism, lang),
            }
            for r in policy.recipients
            if r.in_third_country
        ],
        "session_minutes": policy.security.session_inactivity_minutes,
        "security_measures": [m.get(lang) for m in policy.security.measures],
        "k_anonymity": policy.security.k_anonymity,
        "analytics": (
            {
                "cookies": policy.analytics.cookies.get(lang),
                "tracking_pixel": policy.analytics.tracking_pixel.get(lang),
                "browser_settings": (
                    policy.analytics.browser_settings.get(lang)
                    if policy.analytics.browser_settings
                    else None
                ),
            }
            if policy.analytics
            else None
        ),
        "access_href": access_request_href,
    }


def _purpose_view(policy: Policy, key: str, lang: Lang) -> dict[str, Any]:
    purpose = policy.purposes[key]
    return {
        "title": purpose.title.get(lang),
        "description": purpose.description.get(lang),
        "basis": labels.legal_basis(purpose.legal_basis, lang),
        "is_consent": purpose.legal_basis is LegalBasis.CONSENT,
        "legal_reference": purpose.legal_reference.get(lang) if purpose.legal_reference else None,
        "legitimate_interest": (
            purpose.legitimate_interest.get(lang) if purpose.legitimate_interest else None
        ),
        "categories": category_titles(policy, purpose.categories, lang),
        "objectable": purpose.objectable and purpose.legal_basis is not LegalBasis.CONSENT,
    }


def _recipient_groups(policy: Policy, lang: Lang) -> list[dict[str, Any]]:
    groups = []
    for role in RecipientRole:
        members = [r for r in policy.recipients if r.role is role]
        if not members:
            continue
        groups.append(
            {
                "title": labels.recipient_role(role, lang),
                "recipients": [
                    {
                        "name": r.name,
                        "description": r.description.get(lang),
                        "country": labels.country(r.country, lang),
                        "categories": category_titles(policy, r.categories, lang),
                    }
                    for r in members
                ],
            }
        )
    return groups
