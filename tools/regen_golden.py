"""Rewrite the golden JSON of every article and listing page of the snapshots, for review with git diff.

    .venv/bin/python tools/regen_golden.py

For each page of ``fixtures/snapshot`` and ``fixtures/snapshot-next`` it writes
``fixtures/expected/<snapshot>/<page path without extension>.json``: an article page's Article with every
field (absent ones null), a listing page's FeedEntries (cards, then the Latest News column). fetched_at
and seen_at are the snapshot's own ``fetched_at`` in UTC, so a rerun reproduces the same bytes. Goldens
of pages that no longer exist are deleted. The tests never run this script: they compare against its
reviewed output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scrapy.http import HtmlResponse  # noqa: E402

from newscrawl.dates import utc_isoformat  # noqa: E402
from newscrawl.parsing import (  # noqa: E402
    as_dict,
    parse_article,
    parse_cards,
    parse_sidebar,
)
from newscrawl.replay import EXTENSION_TYPES, iter_snapshot, split_extension  # noqa: E402
from newscrawl.site import is_article_url, listing_for  # noqa: E402

FIXTURES = ROOT / "fixtures"
SNAPSHOTS = ("snapshot", "snapshot-next")
EXPECTED = FIXTURES / "expected"


def snapshot_time(snapshot: Path) -> str:
    """The snapshot's ``fetched_at`` in UTC: the fetched_at/seen_at of every item parsed from it."""
    meta = json.loads((snapshot / "SNAPSHOT.json").read_text(encoding="utf-8"))
    return utc_isoformat(meta["fetched_at"])


def expected_value(url: str, body: bytes, fetched_at: str) -> Any:
    """What a page parses to, in golden form; None for a page that is neither article nor listing."""
    response = HtmlResponse(url=url, body=body, headers={"Content-Type": EXTENSION_TYPES[".html"]})
    if is_article_url(url):
        return as_dict(parse_article(response, fetched_at=fetched_at))
    listing = listing_for(url)
    if listing is None:
        return None
    entries = parse_cards(response, listing=listing, seen_at=fetched_at) + parse_sidebar(
        response, seen_at=fetched_at
    )
    return [as_dict(entry) for entry in entries]


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    written = 0
    for name in SNAPSHOTS:
        snapshot = FIXTURES / name
        if not (snapshot / "SNAPSHOT.json").is_file():
            print(f"skipped {snapshot}: no SNAPSHOT.json (render it with `make snapshot`)", file=sys.stderr)
            continue
        fetched_at = snapshot_time(snapshot)
        keep: set[Path] = set()
        for url, path in iter_snapshot(snapshot):
            stem, extension = split_extension(path.relative_to(snapshot).as_posix())
            if extension != ".html":
                continue
            value = expected_value(url, path.read_bytes(), fetched_at)
            if value is None:
                continue
            target = EXPECTED / name / f"{stem}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            text = dump(value)
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
                written += 1
            keep.add(target)
        for stale in sorted((EXPECTED / name).rglob("*.json")):
            if stale not in keep:
                stale.unlink()
                print(f"deleted {stale.relative_to(ROOT)}")
        print(f"{name}: {len(keep)} golden files, {written} rewritten")
        written = 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
