"""A season of scheduled runs over the site simulator: is every article stored, at its latest version?

    .venv/bin/python bench/soak.py [--runs 30] [--seeds 1,2,3] [--articles 300] [--verbose]

For each seed: a simulator of N articles (about a day at 300 a day), then R runs of ``scrapy crawl
report_feed`` with default arguments into one store, each with the crawl's clock a few minutes after the
site's newest article (``NEWSCRAWL_CLOCK``). Between runs 10-60 articles are published and 0-5 recent
headlines corrected; 20% of runs also get a headline corrected 6 hours to 2 days after publication; 10%
follow an outage (100-250 articles, 8 to 20 hours). 30% of runs meet faults (5xx, hangs, resets,
truncated bodies, 429s, empty 200s on articles and on infinite-scroll batches, redirects, slow answers),
20% are killed with SIGKILL 1-5 s in. One more healthy run ends the season, 12 hours after the last news,
as the timer's run would be then (so the re-walk of the correction window, every 12 hours, is due once
more after the last late correction).

Reported against the simulator's own article list (``sitesim/soak.py``): articles missing,
stale (stored with an older headline), duplicated in the JSON Lines, extra (outside the dataset's
window), still owed; and article pages requested against the ideal (one fetch per stored version).
Goals: 0 missing, 0 stale, 0 duplicated, requests at most 1.1x the ideal. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sitesim import SiteSimulator  # noqa: E402
from sitesim.soak import RunRecord, Season, judge, play  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--verbose", action="store_true", help="one line per run")
    parser.add_argument("--keep", action="store_true", help="keep each season's data directory")
    args = parser.parse_args()
    totals: dict[str, float] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        work = Path(tempfile.mkdtemp(prefix=f"newscrawl-soak-{seed}-"))
        started = time.monotonic()

        def show(record: RunRecord, log: str) -> None:
            if args.verbose:
                print(
                    f"  run {record.number:2d} +{record.added:<3d} ~{record.changed}"
                    f"{'+late' if record.late else ''}"
                    f"{' outage' if record.outage else ''}{' killed' if record.killed else ''} "
                    f"exit={record.exit_code} {record.seconds:.1f}s faults={','.join(record.faults) or '-'}",
                    flush=True,
                )

        try:
            with SiteSimulator(articles=args.articles, seed=seed, hang_seconds=5) as sim:
                season = Season(runs=args.runs, articles=args.articles, seed=seed)
                records = play(work, sim, season, on_run=show)
                verdict = judge(work, sim, records)
        finally:
            if args.keep:
                print(f"  data kept in {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
        summary = verdict.summary()
        print(f"seed {seed}: {json.dumps(summary)} ({time.monotonic() - started:.0f} s)", flush=True)
        for name in ("missing", "stale", "duplicated", "extra", "owed"):
            urls = getattr(verdict, name)
            if urls:
                print(f"  {name}: {' '.join(urls[:5])}{' ...' if len(urls) > 5 else ''}")
        for key in ("missing", "stale", "duplicated", "extra", "owed", "article_requests", "ideal"):
            totals[key] = totals.get(key, 0) + summary[key]
    ratio = totals["article_requests"] / totals["ideal"] if totals.get("ideal") else float("nan")
    print(
        f"all seeds: missing {totals['missing']:.0f}, stale {totals['stale']:.0f}, duplicated "
        f"{totals['duplicated']:.0f}, extra {totals['extra']:.0f}, owed {totals['owed']:.0f}; article "
        f"requests {totals['article_requests']:.0f} against an ideal of {totals['ideal']:.0f} "
        f"({ratio:.2f}x; goal <= 1.1x)"
    )


if __name__ == "__main__":
    main()
