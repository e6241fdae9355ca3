"""report.az pages -> items: every selector of the site, and the sources each field is read from.

The site has served three designs and varies between sections and editions, so every field a page
carries in more than one way is read from several independent sources. Each field's sources are named
and ordered in one place beside the readers they call: ``ARTICLE_SOURCES`` (``article.py``),
``BODY_SOURCES`` (``body.py``), ``CARD_SOURCES``/``CARD_FINDERS`` (``cards.py``),
``SIDEBAR_SOURCES``/``SIDEBAR_FINDERS`` (``sidebar.py``) and ``NAVIGATION_SOURCES`` (``navigation.py``):
the current design's class names first, then sources that do not depend on class names (what a link
points to, a heading's text, the page's JSON-LD and ``<meta>``), then the older design (2021-2024). The
first source that yields a value wins, and ``newscrawl/field_source/<field>/<source>`` counts which one
did, so a crawl shows when the site's markup drifts away from the class names. A field no source finds
stays None and is counted as ``newscrawl/field_missing/<field>``; a wrong guess would be worse than a
gap. The markup the class names follow is the contract in ``fixtures/README.md``; when the live site
differs, the constants change.

By page kind: ``article.py``, ``body.py``, ``page.py`` and ``classes.py`` (article pages), ``cards.py``
(listing cards and the batch cursor), ``sidebar.py`` (the Latest News column), ``navigation.py`` (feed
link, categories); ``entries.py`` is what cards and the column share, ``markup.py`` and ``links.py`` what
every kind shares (compiled selectors, visible text, images; what a link points to).
"""

from __future__ import annotations

from newscrawl.parsing.article import ARTICLE_SOURCES, TRANSLATION_SOURCES, parse_article
from newscrawl.parsing.body import BODY_SOURCES
from newscrawl.parsing.cards import (
    CARD_FINDERS,
    CARD_SOURCES,
    cursor_after,
    cursor_moment,
    last_card_timestamp,
    load_more_url,
    next_batch_url,
    parse_cards,
)
from newscrawl.parsing.links import page_hrefs
from newscrawl.parsing.markup import as_dict
from newscrawl.parsing.navigation import NAVIGATION_SOURCES, category_links, feed_link
from newscrawl.parsing.sidebar import SIDEBAR_FINDERS, SIDEBAR_SOURCES, parse_sidebar

__all__ = [
    "ARTICLE_SOURCES",
    "BODY_SOURCES",
    "CARD_FINDERS",
    "CARD_SOURCES",
    "NAVIGATION_SOURCES",
    "SIDEBAR_FINDERS",
    "SIDEBAR_SOURCES",
    "TRANSLATION_SOURCES",
    "as_dict",
    "category_links",
    "cursor_after",
    "cursor_moment",
    "feed_link",
    "last_card_timestamp",
    "load_more_url",
    "next_batch_url",
    "page_hrefs",
    "parse_article",
    "parse_cards",
    "parse_sidebar",
]
