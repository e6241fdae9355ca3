"""The project's add-on: settings that follow from other settings, resolved when the crawl starts.

Add-ons run after every settings source (``settings.py``, ``-s``, Scrapyd's ``setting=``, the spider), so
paths derive from the ``NEWSCRAWL_DATA_DIR`` the crawl really got, not from the one ``settings.py`` saw at
import time; and the default JSON Lines feeds apply only when the command line (``-o``/``-O``) or Scrapyd
(``items_dir``) named none.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from newscrawl.items import Article, FeedEntry

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

# The JSON Lines a crawl appends to when no feed is named: one file per item class, in the data dir.
DEFAULT_FEEDS: dict[str, type] = {"articles.jsonl": Article, "feed_entries.jsonl": FeedEntry}


def store_path(settings: BaseSettings) -> str:
    """``NEWSCRAWL_SQLITE``, or ``newscrawl.sqlite3`` in ``NEWSCRAWL_DATA_DIR`` when it is empty."""
    return settings.get("NEWSCRAWL_SQLITE") or os.path.join(
        settings.get("NEWSCRAWL_DATA_DIR") or "data", "newscrawl.sqlite3"
    )


def _set_default(settings: BaseSettings, name: str, value: object) -> None:
    # At the priority the empty value has, so the value counts as the project's own default.
    settings.set(name, value, priority=settings.getpriority(name) or "project")


class NewscrawlAddon:
    """Derives the store path, the default feeds and the user agent from the crawl's final settings."""

    def update_settings(self, settings: BaseSettings) -> None:
        data_dir = settings.get("NEWSCRAWL_DATA_DIR") or "data"
        if not settings.get("NEWSCRAWL_SQLITE"):
            _set_default(settings, "NEWSCRAWL_SQLITE", store_path(settings))
        if not settings.getdict("FEEDS"):
            feeds = {
                os.path.join(data_dir, name): {
                    "format": "jsonlines",
                    "encoding": "utf-8",
                    "item_classes": [cls],
                    "overwrite": False,
                }
                for name, cls in DEFAULT_FEEDS.items()
            }
            settings.set("FEEDS", feeds, priority="project")
        if not settings.get("USER_AGENT") or settings.getpriority("USER_AGENT") == 0:
            contact = settings.get("NEWSCRAWL_CONTACT_URL")
            _set_default(
                settings, "USER_AGENT", f"newscrawl/0.1 (+{contact})" if contact else "newscrawl/0.1"
            )
            if not contact and not settings.get("NEWSCRAWL_REPLAY"):
                logger.warning(
                    "The user agent gives no contact: set NEWSCRAWL_CONTACT_URL to an address where the "
                    "site's operators can reach whoever runs this crawler"
                )
