"""The viewing service's demo catalogue and what a customer watches in it, with enough
structure for recommendations to find (issue 16): genres, series watched episode by episode
in order, and each customer's own tastes (a few favourite genres, popular titles watched
more). Titles describe no one; the sequences come from the demo's one seeded Random."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

# Genre → (series with their episode counts, films and programmes). Every title is invented.
_GENRES: dict[str, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]] = {
    "deckare": (
        (("Gränsland", 8), ("Mörkret i Malmö", 6), ("Kalla spår i Luleå", 6)),
        (
            "Sista tåget till Kiruna",
            "Den tysta vittnet",
            "Mord i skärgården",
            "Nattskiftet",
            "Spåren i snön",
            "Fallet Vendela",
        ),
    ),
    "drama": (
        (("Fjällstationen", 8), ("Familjen på Hammarö", 10)),
        (
            "Sommarnatten",
            "Brev från Gotland",
            "Huset vid sjön",
            "Systrarna Lind",
            "En vinter i Sundsvall",
            "Där älven möter havet",
        ),
    ),
    "komedi": (
        (("Kontoret i Kumla", 8), ("Grannar emellan", 6)),
        (
            "Semester med förhinder",
            "Bröllopet i Borås",
            "Pappa på heltid",
            "Campingkungen",
            "Allt för Agda",
        ),
    ),
    "dokumentar": (
        (("Skogens hemligheter", 6), ("Naturens år", 4)),
        (
            "Vargarna i Värmland",
            "Östersjöns djup",
            "Vikingarnas vägar",
            "Fjällens fåglar",
            "Rymden ovanför oss",
            "Isen som smälter",
        ),
    ),
    "sport": (
        (("Allsvenskan: säsongen", 6),),
        (
            "Hockeykväll",
            "Handbolls-EM: Sverige–Norge",
            "Vasaloppet direkt",
            "Vinterstudion",
            "Friidrott: Finnkampen",
            "Golf: Scandinavian Mixed",
        ),
    ),
    "barn": (
        (("Sagostunden", 10), ("Draken Dunder", 8)),
        ("Pippi i Söderhavet", "Mamma Mu och kråkan", "Lilla spöket Laban", "Bamse på äventyr"),
    ),
    "mat_och_hem": (
        (("Matresan genom Norrland", 6), ("Husdrömmar i Dalarna", 8)),
        ("Kockduellen", "Bakverkstaden", "Trädgårdsliv", "Renoveringen"),
    ),
    "action": (
        (("Operation Nordsken", 6),),
        (
            "Gränsbevakningen",
            "Stormen över Öresund",
            "Räddningen",
            "Flykten från Gävle",
            "Undercover i Göteborg",
        ),
    ),
}


@dataclass(frozen=True)
class Title:
    name: str
    genre: str
    series: str | None = None
    episode: int = 0


def _catalogue() -> tuple[Title, ...]:
    titles: list[Title] = []
    for genre, (series, singles) in _GENRES.items():
        for name, episodes in series:
            titles.extend(
                Title(f"{name}, avsnitt {n}", genre, name, n) for n in range(1, episodes + 1)
            )
        titles.extend(Title(name, genre) for name in singles)
    return tuple(titles)


CATALOGUE: tuple[Title, ...] = _catalogue()
GENRES: tuple[str, ...] = tuple(_GENRES)
# What a customer starts watching in a genre: a series' first episode or a film, popular ones
# (earlier in the list) more often (weights 1/rank).
_STARTS: dict[str, tuple[Title, ...]] = {
    genre: tuple(t for t in CATALOGUE if t.genre == genre and t.episode <= 1) for genre in GENRES
}
_START_WEIGHTS: dict[str, list[float]] = {
    genre: list(accumulate(1.0 / rank for rank in range(1, len(starts) + 1)))
    for genre, starts in _STARTS.items()
}
_NEXT: dict[tuple[str, int], Title] = {
    (t.series, t.episode): t for t in CATALOGUE if t.series is not None
}
# Share of views that go on with a series under way, and that leave the favourite genres.
_GO_ON = 0.55
_EXPLORE = 0.15


def viewing_history(rng: random.Random, count: int) -> list[str]:
    """`count` titles in the order a customer watches them: a series episode by episode,
    new titles mostly from two or three favourite genres."""
    favourites = rng.sample(GENRES, rng.randint(1, 3))
    watching: list[Title] = []  # series under way, the next episode to watch
    seen: set[str] = set()
    history: list[str] = []
    for _ in range(count):
        if watching and rng.random() < _GO_ON:
            current = watching.pop(rng.randrange(len(watching)))
            history.append(current.name)
            following = _NEXT.get((current.series or "", current.episode + 1))
            if following is not None:
                watching.append(following)
            continue
        genre = rng.choice(GENRES) if rng.random() < _EXPLORE else rng.choice(favourites)
        starts = _STARTS[genre]
        title = rng.choices(starts, cum_weights=_START_WEIGHTS[genre])[0]
        if title.name in seen and title.series is None:
            title = rng.choice(starts)
        seen.add(title.name)
        history.append(title.name)
        if title.series is not None:
            following = _NEXT.get((title.series, title.episode + 1))
            if following is not None and following not in watching:
                watching.append(following)
    return history
