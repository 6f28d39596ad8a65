"""Swedish towns for demo addresses: postnummer prefixes, area code and län that belong together,
so an address, a switchboard number and a survey's region tell the same story."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Town:
    name: str
    region: str
    # First three digits of the town's postnummer; the last two are drawn.
    postcode_prefixes: tuple[int, ...]
    # Area code without the leading 0, and how many subscriber digits follow it.
    area_code: str
    local_digits: int
    # Relative share of customers (roughly the population, in tens of thousands).
    weight: int


TOWNS: tuple[Town, ...] = (
    Town("Stockholm", "Stockholms län", (113, 114, 116, 117, 118, 120, 124, 128), "8", 8, 98),
    Town("Solna", "Stockholms län", (169, 170, 171), "8", 8, 8),
    Town("Nacka", "Stockholms län", (131, 132), "8", 8, 11),
    Town("Täby", "Stockholms län", (183, 187), "8", 8, 7),
    Town("Södertälje", "Stockholms län", (151, 152), "8", 8, 10),
    Town("Göteborg", "Västra Götalands län", (411, 412, 414, 416, 417, 421, 426), "31", 7, 59),
    Town("Borås", "Västra Götalands län", (503, 504, 506), "33", 6, 11),
    Town("Trollhättan", "Västra Götalands län", (461, 466), "520", 6, 6),
    Town("Skövde", "Västra Götalands län", (541, 549), "500", 6, 6),
    Town("Malmö", "Skåne län", (211, 212, 214, 215, 217), "40", 6, 36),
    Town("Lund", "Skåne län", (222, 224, 226), "46", 6, 13),
    Town("Helsingborg", "Skåne län", (252, 254, 256), "42", 6, 15),
    Town("Kristianstad", "Skåne län", (291, 296), "44", 6, 9),
    Town("Uppsala", "Uppsala län", (752, 753, 754, 756), "18", 6, 24),
    Town("Västerås", "Västmanlands län", (722, 723, 724), "21", 6, 16),
    Town("Örebro", "Örebro län", (702, 703), "19", 6, 16),
    Town("Linköping", "Östergötlands län", (582, 583, 587), "13", 6, 17),
    Town("Norrköping", "Östergötlands län", (602, 603), "11", 6, 14),
    Town("Jönköping", "Jönköpings län", (553, 554, 556), "36", 6, 15),
    Town("Umeå", "Västerbottens län", (903, 904, 906), "90", 6, 13),
    Town("Gävle", "Gävleborgs län", (802, 803, 805), "26", 6, 10),
    Town("Eskilstuna", "Södermanlands län", (632, 633, 635), "16", 6, 11),
    Town("Karlstad", "Värmlands län", (652, 653, 654), "54", 6, 9),
    Town("Växjö", "Kronobergs län", (352, 355), "470", 6, 9),
    Town("Halmstad", "Hallands län", (302, 313), "35", 6, 10),
    Town("Sundsvall", "Västernorrlands län", (852, 853, 856), "60", 6, 10),
    Town("Luleå", "Norrbottens län", (972, 973, 975), "920", 6, 8),
    Town("Östersund", "Jämtlands län", (831, 832), "63", 6, 6),
    Town("Kalmar", "Kalmar län", (392, 393), "480", 6, 7),
    Town("Falun", "Dalarnas län", (791,), "23", 6, 6),
    Town("Visby", "Gotlands län", (621,), "498", 6, 3),
)

TOWN_WEIGHTS: tuple[int, ...] = tuple(town.weight for town in TOWNS)

# Mail domains reserved for examples (RFC 2606), so a demo address can never reach a real
# mailbox even if someone points the newsletter sender at demo data.
PRIVATE_MAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org")
