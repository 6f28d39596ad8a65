"""Promises the notice makes per category and recipient: retention (no row kept past its
rule, counted on live data by retention/runs.py) and recipients, as far as the policy itself
shows (a transfer to a third country without a valid safeguard, an agreement review date that
has passed); the agreements recorded in the register are checks_recipients.py's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy.orm import Session

from dataskydd.clock import today_in_sweden
from dataskydd.policy import labels
from dataskydd.policy.checks import Finding, check_policy
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import Lang, Policy, RecipientRole
from dataskydd.promises.registry import CheckContext, Evidence, localized, promise, text
from dataskydd.retention import runs


def _categories(policy: Policy) -> Iterator[str]:
    return iter(policy.categories)


def _recipients(policy: Policy) -> Iterator[str]:
    return (recipient.key for recipient in policy.recipients)


@promise(
    key="retention",
    title_sv="Gallring",
    title_en="Retention",
    each=_categories,
    order=100,
)
def retention_kept(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    key = ctx.subject
    category = policy.category(key)
    pledge = localized(
        lambda lang: f"{category.title.get(lang)}: {describe_retention(category.retention, lang)}"
    )
    if category.retention is None:
        return ctx.broken(
            pledge,
            text(
                "policyn anger ingen gallringsregel för kategorin (artikel 5.1 e, 13.2 a)",
                "the policy states no retention rule for the category (GDPR art. 5(1)(e), "
                "13(2)(a))",
            ),
            [f"category:{key}"],
        )
    # A daily run erases what became due the day before it: data still there that was due
    # yesterday has outlived its rule (docs/retention.md).
    yesterday = today_in_sweden() - dt.timedelta(days=1)
    overdue = runs.overdue_rows(session, policy, today=yesterday, category=key).get(key, 0)
    latest = runs.recent_runs(session, limit=1)
    last = latest[0].started_at.date().isoformat() if latest else "–"
    return ctx.verdict(
        pledge,
        text(
            f"rader kvar efter sin gallringsregel: {overdue}; senaste gallringskörning: {last}",
            f"rows kept past their retention rule: {overdue}; latest retention run: {last}",
        ),
        [f"category:{key}:{overdue}"] if overdue else [],
    )


# policy/checks.py codes about one recipient, said in both languages.
_FINDINGS: dict[str, tuple[str, str]] = {
    "processor_without_agreement": (
        "inget datum för personuppgiftsbiträdesavtal anges (artikel 28.3)",
        "no data processing agreement date is stated (GDPR art. 28(3))",
    ),
    "transfer_without_safeguard": (
        "mottagaren finns utanför EU/EES men ingen skyddsåtgärd för överföringen anges",
        "the recipient is outside the EU/EEA but no transfer safeguard is stated",
    ),
    "no_adequacy_decision": (
        "landet har inget beslut om adekvat skyddsnivå",
        "the country has no adequacy decision",
    ),
    "dpf_outside_us": (
        "EU–US Data Privacy Framework gäller bara mottagare i USA",
        "the EU–US Data Privacy Framework covers only US recipients",
    ),
    "privacy_shield_invalid": (
        "Privacy Shield ogiltigförklarades av EU-domstolen den 16 juli 2020",
        "the Privacy Shield was invalidated by the EU Court of Justice on 16 July 2020",
    ),
}


def _problems(policy: Policy, position: int) -> list[Finding]:
    prefix = f"recipients[{position}]"
    return [
        finding
        for finding in check_policy(policy)
        if finding.severity == "error"
        and (finding.path == prefix or finding.path.startswith((prefix + ".", prefix + "[")))
    ]


def _finding_text(finding: Finding, lang: Lang) -> str:
    pair = _FINDINGS.get(finding.code)
    if pair is None:
        return finding.message
    return pair[0] if lang == "sv" else pair[1]


@promise(
    key="recipient",
    title_sv="Mottagare",
    title_en="Recipients",
    each=_recipients,
    order=110,
)
def recipient_agreement(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    key = ctx.subject
    position = next(i for i, r in enumerate(policy.recipients) if r.key == key)
    recipient = policy.recipients[position]

    def pledge(lang: Lang) -> str:
        where = f"{recipient.name} ({labels.country(recipient.country, lang)})"
        sv = lang == "sv"
        if recipient.role is RecipientRole.PROCESSOR:
            said = (
                f"{where} behandlar uppgifterna bara på våra instruktioner enligt ett "
                "personuppgiftsbiträdesavtal"
                if sv
                else f"{where} processes the data only on our instructions under a data "
                "processing agreement"
            )
        else:
            said = (
                f"{where} får bara de uppgifter som behövs för ändamålen eller som lag kräver"
                if sv
                else f"{where} receives only the data the purposes need or the law requires"
            )
        if recipient.in_third_country:
            mechanism = labels.transfer_mechanism(recipient.transfer_mechanism, lang)
            said += (
                f", och överföringen sker med stöd av {mechanism}"
                if sv
                else f", and the transfer rests on {mechanism}"
            )
        return said + "."

    problems = _problems(policy, position)
    overdue = recipient.review_date is not None and recipient.review_date < ctx.today

    def found(lang: Lang) -> str:
        said = [_finding_text(finding, lang) for finding in problems]
        if overdue and recipient.review_date is not None:
            day = recipient.review_date.isoformat()
            said.append(
                f"granskningen av avtalet skulle göras senast {day} och är försenad"
                if lang == "sv"
                else f"the review of the agreement was due on {day} and is overdue"
            )
        return "; ".join(said)

    if problems or overdue:
        return ctx.broken(localized(pledge), localized(found), [f"recipient:{key}"])

    def in_order(lang: Lang) -> str:
        # The agreement itself, its document and the transfer's evidence are the register's
        # to prove: the promise agreement.<key> (checks_recipients.py).
        sv = lang == "sv"
        said = (
            f"policyfilen är i ordning; avtalet i registret: se löftet agreement.{key}"
            if sv
            else f"the policy file is in order; the agreement in the register: see agreement.{key}"
        )
        if recipient.review_date is not None:
            day = recipient.review_date.isoformat()
            said += f"; nästa granskning {day}" if sv else f"; next review due {day}"
        return said

    return ctx.holds(localized(pledge), localized(in_order))
