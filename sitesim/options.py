"""The simulator's options, shared by its command line and its Python API."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from .faults import Fault, FaultPlan, FaultSpecError

if TYPE_CHECKING:
    from .server import Site

MIN_ARTICLES, MAX_ARTICLES = 100, 100_000


class OptionsError(ValueError):
    """An option the simulator cannot use; the message names the fix."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sitesim",
        description="Serve a simulated report.az on loopback; prints its URL first.",
    )
    p.add_argument("--articles", type=int, default=1000, help="articles on the site, 100 to 100,000")
    p.add_argument("--seed", type=int, default=1, help="same seed, same site")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: a free port")
    p.add_argument("--per-day", type=float, default=300.0, help="articles published per day (all editions)")
    p.add_argument(
        "--end", default="", help="publishing time of the newest article (default 2026-01-29 21:00)"
    )
    p.add_argument("--feed-size", type=int, default=20, help="cards per Latest News page and batch")
    p.add_argument("--category-size", type=int, default=10, help="cards per category page and batch")
    p.add_argument(
        "--add", type=int, default=0, help="articles published after the first N (as /_sim/advance)"
    )
    p.add_argument("--change", type=int, default=0, help="recent headlines corrected (as /_sim/advance)")
    p.add_argument(
        "--stories",
        choices=("snapshot", "snapshot-next"),
        help="serve the snapshot's own stories instead of generated ones (the pages of fixtures/<this>)",
    )
    p.add_argument("--weight", choices=("light", "heavy"), default="light", help="heavy: 100-300 KB pages")
    p.add_argument("--js-listings", action="store_true", help="Latest News and categories built by script")
    p.add_argument("--no-archive", action="store_true", help="the daily archive answers 404 for every day")
    p.add_argument(
        "--ignore-cursor",
        action="store_true",
        help="batch endpoints honour only cursors that are the timestamps of the listing's own cards",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=RATE[:SCOPE[:once]]",
        help="e.g. 5xx=0.1, 429=0.05:articles, empty=1:batches:once (kinds: 5xx 429 hang reset truncate "
        "empty slow redirect; scopes: all articles listings batches; once: only a URL's first request); "
        "repeatable",
    )
    p.add_argument("--fault-seed", type=int, default=0)
    p.add_argument("--hang-seconds", type=float, default=60.0, help="how long a hang holds the connection")
    p.add_argument("--slow-seconds", type=float, default=0.5, help="delay of a slow response")
    p.add_argument("--exit-with-parent", action="store_true", help="stop when the starting process dies")
    return p


def build_site(args: argparse.Namespace) -> Site:
    """The site the options describe; OptionsError names what to fix."""
    from .server import Site
    from .timeline import DEFAULT_END, GeneratedIndex

    try:
        faults = FaultPlan(
            tuple(Fault.parse(spec) for spec in args.fault),
            seed=args.fault_seed,
            hang_seconds=args.hang_seconds,
            slow_seconds=args.slow_seconds,
        )
    except FaultSpecError as error:
        raise OptionsError(str(error)) from None
    options = {
        "weight": args.weight,
        "js_listings": args.js_listings,
        "ignore_cursor": args.ignore_cursor,
        "archive": not args.no_archive,
        "faults": faults,
    }
    if args.stories:
        return Site.from_stories(args.stories, **options)
    if not MIN_ARTICLES <= args.articles <= MAX_ARTICLES:
        raise OptionsError(
            f"--articles must be from {MIN_ARTICLES} to {MAX_ARTICLES:,} (got {args.articles})"
        )
    if args.feed_size < 1 or args.category_size < 1 or args.per_day <= 0:
        raise OptionsError("--feed-size and --category-size must be at least 1, --per-day above 0")
    try:
        end = datetime.fromisoformat(args.end) if args.end else DEFAULT_END
    except ValueError:
        raise OptionsError(
            f"--end must be a date and time such as 2026-01-29T21:00 (got {args.end!r})"
        ) from None
    index = GeneratedIndex(
        seed=args.seed,
        articles=args.articles,
        per_day=args.per_day,
        end=end.replace(tzinfo=None),
        feed_size=args.feed_size,
        category_size=args.category_size,
    )
    if args.add or args.change:
        index.advance(args.add, args.change)
    return Site(index, **options)
