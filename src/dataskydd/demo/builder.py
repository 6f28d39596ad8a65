"""Builds demo register rows in memory, chunk by chunk, without touching the database.

All randomness comes from one seeded Random (plus Faker, seeded the same, for name pools), so
the same seed, reference date and start ids give the same rows. Parent ids are assigned here
(from the start ids the caller read from the database) so child rows can refer to them
without a round trip per row.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from faker import Faker

from dataskydd.demo import history, interactions, people
from dataskydd.demo.catalogue import SERVICES, CatalogueActivity
from dataskydd.demo.places import TOWN_WEIGHTS, TOWNS, Town
from dataskydd.demo.records import ASSIGNED_ID_TABLES, Batch

_POOL_SIZE = 1500


@dataclass
class NamePools:
    female: list[str]
    male: list[str]
    family: list[str]
    streets: list[str]

    @classmethod
    def from_faker(cls, faker: Faker) -> NamePools:
        # Faker draws from frequency-weighted lists but costs ~50 µs a call; pools keep its
        # distribution while the hot loop only pays for random.choice.
        return cls(
            female=[faker.first_name_female() for _ in range(_POOL_SIZE)],
            male=[faker.first_name_male() for _ in range(_POOL_SIZE)],
            family=[faker.last_name() for _ in range(_POOL_SIZE)],
            streets=[faker.street_name() for _ in range(_POOL_SIZE // 3)],
        )


class DemoBuilder:
    def __init__(
        self,
        *,
        seed: int | str,
        reference_date: date,
        years: int,
        start_ids: Mapping[str, int],
        service_ids: Mapping[str, int],
        activities: Collection[tuple[int, CatalogueActivity]],
        taken_personnummer_indexes: Collection[str] = (),
    ) -> None:
        self.rng = random.Random(seed)
        faker = Faker("sv_SE")
        faker.seed_instance(seed)
        self.names = NamePools.from_faker(faker)
        self.reference_date = reference_date
        self.first_day = reference_date - timedelta(days=365 * years)
        self.next_ids = {table: start_ids.get(table, 0) + 1 for table in ASSIGNED_ID_TABLES}
        self.service_ids = dict(service_ids)
        self.service_names = {s.code: s.name for s in SERVICES}
        self.service_prices = {s.code: s.monthly_price for s in SERVICES}
        self.activities = list(activities)
        self.personnummer_indexes: set[str] = set(taken_personnummer_indexes)
        self.emails: set[str] = set()

    def new_id(self, table: str) -> int:
        assigned = self.next_ids[table]
        self.next_ids[table] = assigned + 1
        return assigned

    def town(self) -> Town:
        return self.rng.choices(TOWNS, weights=TOWN_WEIGHTS)[0]

    def moment(self, day: date, *, earliest_hour: int = 7, latest_hour: int = 22) -> datetime:
        """A UTC moment on `day` during Swedish waking hours (roughly; DST is ignored)."""
        minute = self.rng.randrange(earliest_hour * 60, latest_hour * 60)
        return datetime.combine(day, time(minute // 60, minute % 60, self.rng.randrange(60)), UTC)

    def day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def suppliers(self, count: int) -> Batch:
        batch = Batch()
        for _ in range(count):
            people.add_supplier(self, batch)
        return batch

    def customers(self, count: int) -> Batch:
        batch = Batch()
        for _ in range(count):
            if self.rng.random() < 0.15:
                customer = people.add_business(self, batch)
            else:
                customer = people.add_private(self, batch)
            held = history.add_history(self, batch, customer)
            interactions.add_interactions(self, batch, customer, held)
        return batch
