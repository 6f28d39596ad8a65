"""The words a subject reads about their recommendations, Swedish and English, as the
registerutdrag's other lists keep them (subject_requests/processing_state.py)."""

from __future__ import annotations

from dataskydd.policy.schema import Lang

_Pair = tuple[str, str]

BECAUSE: _Pair = ("Eftersom du tittade på {title}", "Because you watched {title}")
TITLE: _Pair = ("Dina personliga rekommendationer", "Your personal recommendations")
COLUMNS: tuple[tuple[str, _Pair], ...] = (
    ("title", ("Titel", "Title")),
    ("reason", ("Varför", "Why")),
)
NONE_REFUSED: _Pair = (
    "Vi gör inga personliga rekommendationer för dig: {reason}.",
    "We make no personal recommendations for you: {reason}.",
)
OBJECTED: _Pair = (
    "du invände mot dem den {since}, och de upphörde då",
    "you objected to them on {since}, and they stopped then",
)
RESTRICTED: _Pair = (
    "behandlingen av ditt tittande är begränsad (artikel 18)",
    "the processing of your viewing is restricted (Article 18)",
)
NOT_ALLOWED: _Pair = ("ändamålet får inte användas för dig", "the purpose may not be used for you")
NO_MODEL: _Pair = (
    "Ingen modell är beräknad ännu, så inga rekommendationer görs.",
    "No model has been trained yet, so no recommendations are made.",
)
NO_HISTORY: _Pair = (
    "Vi har inget tittande av dig att utgå från, så inga rekommendationer görs.",
    "We hold no viewing of yours to start from, so no recommendations are made.",
)
CURRENT: _Pair = (
    "Så här ser dina rekommendationer ut just nu (modellen beräknades {trained}).",
    "These are your recommendations right now (the model was trained {trained}).",
)


def pick(pair: _Pair, lang: Lang) -> str:
    return pair[0] if lang == "sv" else pair[1]


def because(title: str, lang: Lang) -> str:
    return pick(BECAUSE, lang).format(title=title)
