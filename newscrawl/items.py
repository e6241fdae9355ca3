"""The two kinds of item newscrawl produces. Every field defaults to None: absent means "not found"."""

from __future__ import annotations

from dataclasses import dataclass


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
    tags: list[str] | None = None
    author: str | None = None  # JSON-LD author, often a desk
    image_url: str | None = None  # main photo
    images: list[str] | None = None  # inline image URLs
    has_video: bool | None = None
    source_agency: str | None = None  # canonical name ("Yonhap", "TASS"); "" when Report is the source
    source_agency_text: str | None = None  # as the edition words it: "Yonhap News Agency", "агентство Рёнхап"
    translations: dict[str, str] | None = None  # {"az": url, "ru": url}
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
    media: list[str] | None = None  # ["photo"], ["video"]
    listing: str | None = None  # feed, category:<slug>, home, sidebar
    listing_url: str | None = None
    position: int | None = None  # 0-based position within the listing page or batch
    seen_at: str | None = None  # UTC
