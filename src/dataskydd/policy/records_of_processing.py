"""The record of processing activities (GDPR art. 30.1, "registerförteckning"), one row per
purpose, exported as CSV for spreadsheets and as HTML for reading."""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass

from dataskydd.policy import labels
from dataskydd.policy.notice import category_titles
from dataskydd.policy.rendering import environment
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import Lang, Policy, Purpose


@dataclass(frozen=True)
class RopaRow:
    purpose_key: str
    purpose: str
    controller: str  # art. 30.1 a, with the DPO
    legal_basis: str
    subject_kinds: str  # art. 30.1 c
    categories: str  # art. 30.1 c
    recipients: str  # art. 30.1 d
    transfers: str  # art. 30.1 e
    retention: str  # art. 30.1 f
    security: str  # art. 30.1 g


_HEADERS: dict[Lang, tuple[str, ...]] = {
    "sv": (
        "Nyckel",
        "Ändamål",
        "Personuppgiftsansvarig och dataskyddsombud",
        "Rättslig grund",
        "Kategorier av registrerade",
        "Kategorier av personuppgifter",
        "Mottagare",
        "Överföring till tredje land och skyddsåtgärder",
        "Gallringsfrister",
        "Säkerhetsåtgärder",
    ),
    "en": (
        "Key",
        "Purpose",
        "Controller and data protection officer",
        "Legal basis",
        "Categories of data subjects",
        "Categories of personal data",
        "Recipients",
        "Third-country transfers and safeguards",
        "Time limits for erasure",
        "Security measures",
    ),
}


def ropa_headers(lang: Lang) -> tuple[str, ...]:
    return _HEADERS[lang]


def ropa_rows(policy: Policy, lang: Lang) -> list[RopaRow]:
    controller = _controller(policy, lang)
    security = _security(policy, lang)
    return [
        RopaRow(
            purpose_key=key,
            purpose=f"{purpose.title.get(lang)}: {purpose.description.get(lang)}",
            controller=controller,
            legal_basis=_legal_basis(purpose, lang),
            subject_kinds=_subject_kinds(policy, purpose, lang),
            categories=category_titles(policy, purpose.categories, lang),
            recipients=_recipients(policy, purpose, lang),
            transfers=_transfers(policy, purpose, lang),
            retention="; ".join(
                f"{policy.categories[c].title.get(lang)}: "
                f"{describe_retention(policy.categories[c].retention, lang)}"
                for c in purpose.categories
                if c in policy.categories
            ),
            security=security,
        )
        for key, purpose in policy.purposes.items()
    ]


def render_ropa_csv(policy: Policy, lang: Lang) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ropa_headers(lang))
    writer.writerows(astuple(row) for row in ropa_rows(policy, lang))
    return buffer.getvalue()


def render_ropa_html(policy: Policy, lang: Lang) -> str:
    env = environment(html=True)
    title = "Registerförteckning" if lang == "sv" else "Record of processing activities"
    return env.get_template("page.html.j2").render(
        lang=lang,
        title=title,
        content="ropa.html.j2",
        heading=f"{title} – {policy.controller.name}",
        version=policy.version,
        version_label="Policyversion" if lang == "sv" else "Policy version",
        headers=ropa_headers(lang),
        rows=[astuple(row) for row in ropa_rows(policy, lang)],
    )


def _controller(policy: Policy, lang: Lang) -> str:
    c = policy.controller
    text = f"{c.name}, {c.postal_address.street}, {c.postal_address.postal_code} "
    text += f"{c.postal_address.city}, {c.phone}"
    if c.email:
        text += f", {c.email}"
    if policy.dpo:
        label = "Dataskyddsombud" if lang == "sv" else "Data protection officer"
        text += f". {label}: {policy.dpo.name}"
        text += f", {policy.dpo.email}" if policy.dpo.email else ""
    return text


def _legal_basis(purpose: Purpose, lang: Lang) -> str:
    parts = [labels.legal_basis(purpose.legal_basis, lang)]
    if purpose.legal_reference:
        parts.append(purpose.legal_reference.get(lang))
    if purpose.legitimate_interest:
        parts.append(purpose.legitimate_interest.get(lang))
    return "; ".join(parts)


def _subject_kinds(policy: Policy, purpose: Purpose, lang: Lang) -> str:
    keys = purpose.subject_kinds or tuple(policy.subject_kinds)
    titles = [policy.subject_kinds[k].title.get(lang) for k in keys if k in policy.subject_kinds]
    return ", ".join(titles)


def _recipients(policy: Policy, purpose: Purpose, lang: Lang) -> str:
    recipients = policy.recipients_of(purpose.categories)
    if not recipients:
        return "Inga" if lang == "sv" else "None"
    return "; ".join(
        f"{r.name} ({labels.recipient_role_singular(r.role, lang)}, "
        f"{labels.country(r.country, lang)})"
        for r in recipients
    )


def _transfers(policy: Policy, purpose: Purpose, lang: Lang) -> str:
    abroad = [r for r in policy.recipients_of(purpose.categories) if r.in_third_country]
    if not abroad:
        return "Ingen överföring" if lang == "sv" else "No transfer"
    return "; ".join(
        f"{r.name} ({labels.country(r.country, lang)}): "
        f"{labels.transfer_mechanism(r.transfer_mechanism, lang)}"
        for r in abroad
    )


def _security(policy: Policy, lang: Lang) -> str:
    parts = [m.get(lang) for m in policy.security.measures]
    minutes, k = policy.security.session_inactivity_minutes, policy.security.k_anonymity
    if lang == "sv":
        parts.append(f"Automatisk utloggning efter {minutes} minuters inaktivitet.")
        parts.append(f"Statistik redovisas bara för grupper om minst {k} personer.")
    else:
        parts.append(f"Automatic logout after {minutes} minutes of inactivity.")
        parts.append(f"Statistics are only reported for groups of at least {k} people.")
    return " ".join(parts)
