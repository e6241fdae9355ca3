"""The SQLite store: its schema (numbered SQL migrations) and every SQL statement of the project.

A crawl reaches it only through its owner, :class:`newscrawl.ledger.Ledger`, which opens it at start (so
that a locked, unwritable or foreign file stops the run with one sentence) and decides when to commit.
Used on its own, a store commits every ``batch_size`` writes, or when told to (``commit``, ``close``).
The schema is described table by table in ``docs/store.md``.

- ``db.py``: the file, its lock probe, migrations and batched commits;
- ``articles.py``: articles, stories, tags, translations, aliases, and the content hash;
- ``listings.py``: cards, 404s, owed articles, listing walks, JSON Lines offsets; the "known" rule;
- ``runs.py``: crawl runs.
"""

from __future__ import annotations

from newscrawl.exceptions import StoreError
from newscrawl.store.articles import CONTENT_FIELDS, Articles, content_hash
from newscrawl.store.db import SCHEMA_VERSION
from newscrawl.store.listings import Card, Coverage, Failure, HistoryPart, Listings, Walk
from newscrawl.store.runs import Run, Runs, recent_runs

__all__ = [
    "CONTENT_FIELDS",
    "SCHEMA_VERSION",
    "Card",
    "Coverage",
    "Failure",
    "HistoryPart",
    "Run",
    "Store",
    "StoreError",
    "Walk",
    "content_hash",
    "recent_runs",
]


class Store(Articles, Listings, Runs):
    """The SQLite store of one crawl: articles, stories, feed entries, aliases, 404s, walks and runs."""
