"""Which fault, if any, the simulator injects into one request.

The draw for a request depends only on the fault seed, the URL and how many times that URL was asked
before: ``Random(f"{seed}:{url}:{attempt}")``. A crawl sees the same faults whatever order its concurrent
requests arrive in, and a retry of a URL gets a fresh draw, as it would from a flaky server.

Kinds (``FAULT_KINDS``):

- ``5xx``: 500, 502, 503 or 504 with a short error page;
- ``429``: Too Many Requests with ``Retry-After``;
- ``hang``: headers never come; the connection is held past any sane download timeout (``hang_seconds``);
- ``reset``: headers and part of the body, then the connection is aborted (TCP RST);
- ``truncate``: ``Content-Length`` of the whole page, part of the body, then a clean close;
- ``empty``: 200 with an empty body;
- ``slow``: the whole page, after ``slow_seconds``;
- ``redirect``: 301 to the same path with a trailing slash (the slash URL itself is served normally).

Each kind has a rate and a scope: ``all`` pages, only ``articles``, only ``listings`` (home, Latest
News, categories, batches) or only ``batches`` (the infinite-scroll answers). robots.txt and the control
endpoints are never faulted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

FAULT_KINDS = ("5xx", "429", "hang", "reset", "truncate", "empty", "slow", "redirect")
Scope = Literal["all", "articles", "listings", "batches"]
SCOPES: tuple[Scope, ...] = ("all", "articles", "listings", "batches")


class FaultSpecError(ValueError):
    """A fault specification the simulator cannot use."""


@dataclass(frozen=True)
class Fault:
    kind: str
    rate: float
    scope: Scope = "all"
    once: bool = False  # only the first request of a URL: a glitch that asking again gets past

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """``kind=rate``, ``kind=rate:scope`` or ``kind=rate:scope:once``.

        >>> Fault.parse("5xx=0.1")
        Fault(kind='5xx', rate=0.1, scope='all', once=False)
        >>> Fault.parse("429=0.05:articles").scope
        'articles'
        >>> Fault.parse("empty=1:batches:once").once
        True
        >>> Fault.parse("boom=1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        sitesim.faults.FaultSpecError: unknown fault 'boom' in 'boom=1': use one of 5xx, ...
        """
        kind, _, rest = spec.partition("=")
        rate_text, _, scope = rest.partition(":")
        scope, _, modifier = scope.partition(":")
        if modifier.strip() not in ("", "once"):
            raise FaultSpecError(f"the modifier in {spec!r} can only be once, e.g. empty=1:batches:once")
        kind = kind.strip()
        if kind not in FAULT_KINDS:
            raise FaultSpecError(f"unknown fault {kind!r} in {spec!r}: use one of {', '.join(FAULT_KINDS)}")
        try:
            rate = float(rate_text)
        except ValueError:
            rate = -1.0
        if not 0.0 <= rate <= 1.0:
            raise FaultSpecError(f"the rate in {spec!r} must be a number from 0 to 1, e.g. 5xx=0.1")
        scope = scope.strip() or "all"
        if scope not in SCOPES:
            raise FaultSpecError(f"the scope in {spec!r} must be one of {', '.join(SCOPES)}")
        return cls(kind, rate, scope, once=modifier.strip() == "once")


@dataclass
class FaultPlan:
    faults: tuple[Fault, ...] = ()
    seed: int = 0
    hang_seconds: float = 60.0
    slow_seconds: float = 0.5
    attempts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        total = sum(f.rate for f in self.faults)
        if total > 1.0:
            raise FaultSpecError(f"fault rates add up to {total:g}; they must add up to at most 1")

    def draw(self, url: str, page: Literal["article", "listing", "batch", "other"]) -> str | None:
        """The fault for this request of ``url`` (counted), or None.

        >>> plan = FaultPlan((Fault("5xx", 0.5),), seed=3)
        >>> [plan.draw("/en/", "listing") for _ in range(6)]
        [None, None, '5xx', '5xx', None, '5xx']
        >>> FaultPlan((Fault("5xx", 1.0, "articles"),)).draw("/en/", "listing") is None
        True
        """
        attempt = self.attempts.get(url, 0)
        self.attempts[url] = attempt + 1
        if page == "other" or not self.faults:
            return None
        roll = random.Random(f"{self.seed}:{url}:{attempt}").random()
        for fault in self.faults:
            if roll < fault.rate:
                hits = _applies(fault.scope, page) and not (fault.once and attempt > 0)
                return fault.kind if hits else None
            roll -= fault.rate
        return None


def _applies(scope: Scope, page: str) -> bool:
    """Whether a fault of ``scope`` hits a page of this class (a batch is a listing page too)."""
    if scope == "all":
        return True
    if page == "batch":
        return scope in ("batches", "listings")
    return scope == f"{page}s"
