"""The subject's rights, as told in the registerutdrag (GDPR art. 15.1 e–f, 13.2)."""

from __future__ import annotations

from dataskydd.policy.schema import Lang, Policy

_RIGHTS: tuple[tuple[str, str, str], ...] = (
    (
        "rectification",
        "Du har rätt att få felaktiga uppgifter rättade och ofullständiga uppgifter kompletterade "
        "(artikel 16).",
        "You have the right to have inaccurate data corrected and incomplete data completed "
        "(Article 16).",
    ),
    (
        "erasure",
        "Du har rätt att få uppgifter raderade när de inte längre behövs, när du återkallar ett "
        "samtycke eller när du invänder mot behandlingen, utom när lag kräver att vi sparar dem, "
        "till exempel bokföringslagen (artikel 17).",
        "You have the right to have data erased when it is no longer needed, when you withdraw "
        "consent or when you object, except where the law requires us to keep it, for example "
        "the Bookkeeping Act (Article 17).",
    ),
    (
        "restriction",
        "Du har rätt att begära att behandlingen begränsas, till exempel medan vi utreder om "
        "uppgifterna är korrekta (artikel 18).",
        "You have the right to ask for processing to be restricted, for example while we check "
        "whether the data is accurate (Article 18).",
    ),
    (
        "portability",
        "Du har rätt att få ut de uppgifter du själv har lämnat i ett maskinläsbart format och "
        "föra över dem till någon annan (artikel 20).",
        "You have the right to receive the data you provided in a machine-readable format and "
        "to move it to someone else (Article 20).",
    ),
    (
        "objection",
        "Du har rätt att invända mot behandling som grundar sig på vårt berättigade intresse, "
        "och alltid mot direktmarknadsföring och profilering för sådan (artikel 21).",
        "You have the right to object to processing based on our legitimate interests, and "
        "always to direct marketing and profiling for it (Article 21).",
    ),
    (
        "withdraw_consent",
        "Du kan när som helst återkalla ett samtycke. Det påverkar inte behandling som skett "
        "innan du återkallade det (artikel 7.3).",
        "You can withdraw consent at any time. This does not affect processing carried out "
        "before you withdrew it (Article 7(3)).",
    ),
)


def rights(policy: Policy, lang: Lang) -> list[dict[str, str]]:
    index = 1 if lang == "sv" else 2
    items = [{"key": item[0], "text": item[index]} for item in _RIGHTS]
    authority = policy.supervisory_authority
    complaint = (
        f"Du har rätt att lämna klagomål till {authority.name.get(lang)} ({authority.website})."
        if lang == "sv"
        else f"You have the right to lodge a complaint with {authority.name.get(lang)} "
        f"({authority.website})."
    )
    items.append({"key": "complaint", "text": complaint})
    return items
