"""The demo's clock (a calendar month in the company's time zone) and Stripe-like ids.

Nothing here reads the wall clock or the global random generator: every timestamp is
computed from the month, every id comes from a seeded `random.Random`, so a build is the
same on every machine.
"""

from __future__ import annotations

import calendar
import random
import string
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DAY = 86_400

_ALPHABET = string.digits + string.ascii_letters


@dataclass(frozen=True)
class Month:
    """A calendar month, with its instants computed in Europe/Paris local time."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            year, month = (int(part) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"month must look like 2026-10, got {text!r}") from None
        if not 1 <= month <= 12:
            raise ValueError(f"month must look like 2026-10, got {text!r}")
        return cls(year, month)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def at(self, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
        """Unix time of a Paris wall-clock time in this month."""
        return int(datetime(self.year, self.month, day, hour, minute, second,
                            tzinfo=PARIS).timestamp())

    @property
    def start(self) -> int:
        return self.at(1)

    @property
    def end(self) -> int:
        """The first instant of the next month (exclusive bound)."""
        return self.shifted(1).start

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def contains(self, timestamp: int) -> bool:
        return self.start <= timestamp < self.end


def local(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, PARIS)


def add_months(timestamp: int, months: int) -> int:
    """The same Paris wall-clock time `months` later, on the last day if the day is missing
    (Stripe's billing-cycle rule: a cycle anchored on the 31st renews on the 30th)."""
    moment = local(timestamp)
    target = Month(moment.year, moment.month).shifted(months)
    day = min(moment.day, target.days)
    return target.at(day, moment.hour, moment.minute, moment.second)



class IdFactory:
    """Stripe-looking ids drawn from a seeded generator, never twice the same.

    Long ids look like Stripe's ("in_1Q" + 4 characters + the account's 10-character tag +
    8 characters, 24 after the prefix); short ones like customer and product ids (14).
    """

    def __init__(self, rng: random.Random, account_tag: str,
                 seen: set[str] | None = None) -> None:
        self._rng = rng
        self._tag = account_tag
        self._seen: set[str] = set() if seen is None else seen

    def spawn(self, rng: random.Random) -> IdFactory:
        """A factory drawing from another generator, still never repeating this one's ids."""
        return IdFactory(rng, self._tag, self._seen)

    @property
    def tag(self) -> str:
        return self._tag

    def _draw(self, length: int) -> str:
        return "".join(self._rng.choices(_ALPHABET, k=length))

    def _unique(self, make) -> str:
        while True:
            candidate = make()
            if candidate not in self._seen:
                self._seen.add(candidate)
                return candidate

    def long(self, prefix: str) -> str:
        return self._unique(lambda: f"{prefix}_1Q{self._draw(4)}{self._tag}{self._draw(8)}")

    def short(self, prefix: str) -> str:
        return self._unique(lambda: f"{prefix}_{self._draw(14)}")

    def digits(self, length: int) -> str:
        """A numeric id (HubSpot record ids), without a leading zero."""
        return str(self._rng.randrange(10 ** (length - 1), 10 ** length))

    def reserve(self, ids) -> None:
        """Ids made elsewhere that this factory must never hand out."""
        self._seen.update(ids)


def account_tag(rng: random.Random) -> str:
    return "".join(rng.choices(_ALPHABET, k=10))
