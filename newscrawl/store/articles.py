"""Articles, their stories across languages, tags, translations and URL aliases."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from itemadapter import ItemAdapter

from newscrawl.dates import utc_now
from newscrawl.store.db import Database, _json

if TYPE_CHECKING:
    from newscrawl.items import Article
    from newscrawl.store.listings import Card

# Everything an editor can change on the page. Not url, language or site_id (identity), not fetched_at
# (changes on every visit): a re-fetch of an untouched page must hash the same. Not source_agency_text
# either: stored since migration 0006, it is the wording of source_agency's credit, refreshed on every fetch.
CONTENT_FIELDS: tuple[str, ...] = (
    "title",
    "lead",
    "body",
    "word_count",
    "published_at",
    "modified_at",
    "category",
    "category_slug",
    "tags",
    "author",
    "image_url",
    "images",
    "has_video",
    "source_agency",
    "translations",
)

_ARTICLE_COLUMNS = (
    "url, story_id, site_id, language, title, lead, body, word_count, published_at, modified_at, "
    "category, category_slug, author, image_url, images, has_video, source_agency, source_agency_text, "
    "content_hash, first_seen, last_seen, fetched_at, changed_at, card_title, card_published_at, run_id"
)
_INSERT_ARTICLE = f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({', '.join('?' * 26)})"
_UPDATE_ARTICLE = (
    "UPDATE articles SET story_id = ?, site_id = ?, language = ?, title = ?, lead = ?, body = ?, "
    "word_count = ?, published_at = ?, modified_at = ?, category = ?, category_slug = ?, author = ?, "
    "image_url = ?, images = ?, has_video = ?, source_agency = ?, source_agency_text = ?, content_hash = ?, "
    "last_seen = ?, "
    "fetched_at = ?, previous_hash = content_hash, previous_changed_at = changed_at, changed_at = ?, "
    "card_title = ?, card_published_at = ?, run_id = ?, change_reason = ?, version = version + 1 "
    "WHERE url = ?"
)


def content_hash(article: Any) -> str:
    """Hash of an article's content fields (``CONTENT_FIELDS``), independent of when it was fetched.

    >>> from newscrawl.items import Article
    >>> a = Article(url="https://report.az/en/x/y", title="T", body="B", fetched_at="2026-01-29T17:00:00")
    >>> b = Article(url="https://report.az/en/x/y", title="T", body="B", fetched_at="2026-01-30T09:00:00")
    >>> content_hash(a) == content_hash(b)
    True
    >>> content_hash(a) == content_hash(Article(url=a.url, title="T2", body="B"))
    False
    """
    adapter = ItemAdapter(article)
    content = {field: _hash_form(field, adapter.get(field)) for field in CONTENT_FIELDS}
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _hash_form(field: str, value: Any) -> Any:
    """A content value as hashes stored before item schema 2.0 spelled it, where the spelling changed.

    Those hashes took tags and translations without any as null and "Report is the source" as "". Hashing
    the new empties ([], {}, None) in that spelling keeps a re-fetch of an untouched page "unchanged"
    across the upgrade, instead of a new version of every stored article.

    >>> _hash_form("tags", []), _hash_form("translations", {}), _hash_form("source_agency", None)
    (None, None, '')
    >>> _hash_form("tags", ["a"]), _hash_form("images", []), _hash_form("source_agency", "TASS")
    (['a'], [], 'TASS')
    """
    if field in ("tags", "translations") and not value:
        return None
    if field == "source_agency" and value is None:
        return ""
    return value


class Articles(Database):
    """The article records of a store."""

    def upsert_article(
        self,
        article: Article | Mapping[str, Any],
        card: Card | None = None,
        run_id: int | None = None,
        reason: str | None = None,
    ) -> Literal["new", "changed", "unchanged"]:
        """Insert or update an article; keeps first_seen, and on a change the previous hash and time.

        ``card`` is the listing card the article was fetched for: a later card counts as known only while
        it reads the same. ``reason`` is kept with a changed version (``change_reason``): None for a page
        a crawl fetched, ``reextracted`` for a page of the archive parsed again.
        """
        adapter = ItemAdapter(article)
        url: str = adapter["url"]
        seen = adapter.get("fetched_at") or utc_now()
        digest = content_hash(article)
        card_title, card_published = (card.title, card.published_at) if card else (None, None)
        execute = self.connection.execute
        self._write()
        row = execute("SELECT content_hash, story_id FROM articles WHERE url = ?", (url,)).fetchone()
        if row is not None and row[0] == digest:
            execute(
                "UPDATE articles SET last_seen = ?, fetched_at = ?, card_title = coalesce(?, card_title), "
                "card_published_at = CASE WHEN ? IS NULL THEN card_published_at ELSE ? END, run_id = ?, "
                "source_agency_text = ? WHERE url = ?",
                (
                    seen,
                    adapter.get("fetched_at"),
                    card_title,
                    card_title,
                    card_published,
                    run_id,
                    adapter.get("source_agency_text"),
                    url,
                ),
            )
            self._wrote()
            return "unchanged"
        translations: dict[str, str] = dict(adapter.get("translations") or {})
        story_id = self._story_for(url, translations.values(), None if row is None else int(row[1]))
        values = (
            story_id,
            adapter.get("site_id"),
            adapter["language"],
            adapter.get("title"),
            adapter.get("lead"),
            adapter.get("body"),
            adapter.get("word_count"),
            adapter.get("published_at"),
            adapter.get("modified_at"),
            adapter.get("category"),
            adapter.get("category_slug"),
            adapter.get("author"),
            adapter.get("image_url"),
            _json(adapter.get("images")),
            None if adapter.get("has_video") is None else int(bool(adapter.get("has_video"))),
            adapter.get("source_agency"),
            adapter.get("source_agency_text"),
            digest,
        )
        bookkeeping = (card_title, card_published, run_id)
        if row is None:
            execute(
                _INSERT_ARTICLE, (url, *values, seen, seen, adapter.get("fetched_at"), seen, *bookkeeping)
            )
        else:
            execute(
                _UPDATE_ARTICLE,
                (*values, seen, adapter.get("fetched_at"), seen, *bookkeeping, reason, url),
            )
            execute("DELETE FROM tags WHERE article_url = ?", (url,))
            execute("DELETE FROM translations WHERE article_url = ?", (url,))
        tags = adapter.get("tags") or ()
        if tags:
            self.connection.executemany(
                "INSERT INTO tags (article_url, position, tag) VALUES (?, ?, ?)", _indexed(url, tags)
            )
        if translations:
            self.connection.executemany(
                "INSERT INTO translations (article_url, language, url) VALUES (?, ?, ?)",
                [(url, language, other) for language, other in translations.items()],
            )
        self._wrote()
        return "new" if row is None else "changed"

    def _story_for(self, url: str, translations: Iterable[str], current: int | None) -> int:
        """The story id of url: shared with its translations, merging stories that turn out to be one."""
        execute = self.connection.execute
        found: set[int] = set() if current is None else {current}
        others = [self._resolve(other) for other in translations]
        if others:
            marks = ", ".join("?" * len(others))
            query = f"SELECT story_id FROM articles WHERE url IN ({marks})"
            found.update(int(r[0]) for r in execute(query, others))
        # Articles stored earlier that named this one as their translation.
        query = (
            "SELECT a.story_id FROM translations t JOIN articles a ON a.url = t.article_url WHERE t.url = ?"
        )
        found.update(int(r[0]) for r in execute(query, (url,)))
        if not found:
            return int(execute("INSERT INTO stories DEFAULT VALUES").lastrowid or 0)
        story_id = min(found)
        merged = sorted(found - {story_id})
        if merged:
            marks = ", ".join("?" * len(merged))
            execute(f"UPDATE articles SET story_id = ? WHERE story_id IN ({marks})", (story_id, *merged))
            execute(f"DELETE FROM stories WHERE id IN ({marks})", merged)
        return story_id

    def article_hash(self, url: str) -> str | None:
        """Content hash of the stored article at url (or at the URL it is an alias of), None if unknown."""
        row = self.connection.execute(
            "SELECT content_hash FROM articles WHERE url = ?", (self._resolve(url),)
        ).fetchone()
        return None if row is None else str(row[0])

    def url_for_site_id(self, site_id: str, language: str) -> str | None:
        """URL of the first stored article with this site id in this language."""
        row = self.connection.execute(
            "SELECT url FROM articles WHERE site_id = ? AND language = ? ORDER BY id LIMIT 1",
            (site_id, language),
        ).fetchone()
        return None if row is None else str(row[0])

    def add_alias(self, alias_url: str, url: str) -> None:
        """Record alias_url as another address of the article at url."""
        if alias_url == url:
            return
        self._write()
        self.connection.execute(
            "INSERT INTO url_aliases (alias_url, url, first_seen) VALUES (?, ?, ?) "
            "ON CONFLICT (alias_url) DO UPDATE SET url = excluded.url",
            (alias_url, self._resolve(url), utc_now()),
        )
        self._wrote()

    def story_id(self, url: str) -> int | None:
        """Story id of the stored article at url."""
        row = self.connection.execute(
            "SELECT story_id FROM articles WHERE url = ?", (self._resolve(url),)
        ).fetchone()
        return None if row is None else int(row[0])

    def search(self, query: str, limit: int = 20) -> list[str]:
        """URLs of the articles whose title or body match an FTS5 query, best match first."""
        rows = self.connection.execute(
            "SELECT a.url FROM articles_fts f JOIN articles a ON a.id = f.rowid "
            "WHERE articles_fts MATCH ? ORDER BY f.rank LIMIT ?",
            (query, limit),
        )
        return [str(r[0]) for r in rows]


def _indexed(url: str, tags: Iterable[str]) -> list[tuple[str, int, str]]:
    return [(url, position, tag) for position, tag in enumerate(tags)]
