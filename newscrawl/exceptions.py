"""The errors a user can cause, each raised with one sentence that names the fix.

The ``crawl`` command turns them into that sentence and an exit code (``newscrawl/commands/crawl.py``):
a bad argument exits 2, the others 1.
"""

from __future__ import annotations


class NewscrawlError(Exception):
    """An error whose message is one sentence naming the fix."""


class ArgumentError(NewscrawlError, ValueError):
    """A spider argument that cannot be used; the message names the valid values."""


class StoreError(NewscrawlError):
    """The SQLite store cannot be used (locked, unwritable, not a database, too new)."""


class ReplaySettingsError(NewscrawlError, ValueError):
    """NEWSCRAWL_REPLAY or NEWSCRAWL_RECORD points at something unusable."""


class OriginSettingsError(NewscrawlError, ValueError):
    """NEWSCRAWL_ORIGIN is not an origin such as http://127.0.0.1:8080."""


class RenderSettingsError(NewscrawlError, ValueError):
    """A render mode or a Splash server that cannot be used."""


class ClockSettingsError(NewscrawlError, ValueError):
    """NEWSCRAWL_CLOCK is not a date and time."""
