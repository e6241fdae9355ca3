"""Compact keys for what a run remembers per URL (which articles it asked for, which it decided were
known, which items it passed): an 8-byte hash instead of the URL string keeps a 100,000-article history
run's memory close to a small run's.

Two different URLs share a key with a chance of about n^2 / 2^65: below 1 in 3 billion for a run of
100,000 articles.
"""

from __future__ import annotations

from hashlib import blake2b


def url_key(*parts: str) -> int:
    """An 8-byte key for ``parts`` (a URL, or a URL and a listing).

    >>> url_key("https://report.az/a") == url_key("https://report.az/a")
    True
    >>> url_key("https://report.az/a", "feed") == url_key("https://report.az/afeed")
    False
    """
    return int.from_bytes(blake2b("\n".join(parts).encode(), digest_size=8).digest(), "big")
