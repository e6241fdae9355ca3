"""The two kinds of item newscrawl produces, in the shape of their JSON Schemas (``newscrawl/schemas/``).

One rule for absence: a scalar nobody found is None (never ""), a list with nothing in it is [] (never
None), and ``translations`` without any is {}.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Article:
    """One article page, normalised. Dates are ISO 8601 in Baku time (``+04:00``), ``fetched_at`` in UTC."""

    url: str | None = None  # canonical URL (newscrawl.site.canonical_url)
    language: str | None = None  # az, en or ru
    site_id: str | None = None  # digits of .copy-url[data-url]
    title: str | None = None
    lead: str | None = None  # the first body paragraph
    body: str | None = None  # paragraphs joined by a blank line
    word_count: int | None = None
    published_at: str | None = None
    modified_at: str | None = None
    category: str | None = None  # display name
    category_slug: str | None = None
    tags: list[str] = field(default_factory=list)
    author: str | None = None  # JSON-LD author, often a desk
    image_url: str | None = None  # main photo
    images: list[str] = field(default_factory=list)  # inline image URLs
    has_video: bool | None = None
    source_agency: str | None = None  # canonical name ("Yonhap", "TASS"); None when Report is the source
    source_agency_text: str | None = None  # as the edition words it: "Yonhap News Agency", "агентство Рёнхап"
    translations: dict[str, str] = field(default_factory=dict)  # {"az": url, "ru": url}
    fetched_at: str | None = None


@dataclass
class FeedEntry:
    """One headline card of a listing: the Latest News feed, a category, the home page or a sidebar."""

    url: str | None = None  # canonical URL of the article the card links to
    language: str | None = None
    title: str | None = None
    category: str | None = None
    published_at: str | None = None
    image_url: str | None = None
    media: list[str] = field(default_factory=list)  # ["photo"], ["video"]
    listing: str | None = None  # feed, category:<slug>, home, sidebar
    listing_url: str | None = None
    position: int | None = None  # 0-based position within the listing page or batch
    seen_at: str | None = None  # UTC
