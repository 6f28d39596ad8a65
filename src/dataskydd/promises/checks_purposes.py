"""Per purpose, what the notice says of it: the legal basis it rests on and the categories it
uses. The basis is the policy's own statement (the consent and objection promises prove what
it entails); the categories are checked against the audit log: no allowed decision under the
purpose granted a category the notice does not list for it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dataskydd.policy import labels
from dataskydd.policy.schema import Lang, Policy
from dataskydd.promises import sql
from dataskydd.promises.registry import CheckContext, Evidence, localized, promise, text


@promise(
    key="purpose",
    title_sv="Ändamål, rättslig grund och uppgifter",
    title_en="Purpose, legal basis and data",
    each=lambda policy: iter(policy.purposes),
    order=15,
)
def only_the_listed_categories(session: Session, policy: Policy, ctx: CheckContext) -> Evidence:
    key = ctx.subject
    stated = policy.purpose(key)
    uses = sql.allowed_uses(session, key, of_a_subject=False)
    all_uses = sql.count(session, uses)
    total, offending = sql.count_and_sample(
        session,
        uses.where(sql.categories_outside(session, stated.categories)),
        lambda row: f"audit_entry:{row.id} subject:{row.subject_id}",
    )

    def pledge_in(lang: Lang) -> str:
        basis = labels.legal_basis(stated.legal_basis, lang)
        basis = basis[:1].lower() + basis[1:]
        titles = [policy.category(c).title.get(lang).lower() for c in stated.categories]
        data = labels.enumerate_words(titles, lang)
        if lang == "sv":
            return f"{stated.title.sv}: rättslig grund {basis}; uppgifter: {data}."
        return f"{stated.title.en}: legal basis {basis}; data: {data}."

    pledge = localized(pledge_in)
    evidence = text(
        f"tillåtna användningar för {key} av en kategori som ändamålet inte använder: {total} "
        f"av {all_uses}",
        f"allowed uses for {key} of a category the purpose does not use: {total} of {all_uses}",
    )
    return ctx.verdict(pledge, evidence, offending)
