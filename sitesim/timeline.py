"""A generated report.az: N articles over a time span, from a seed, indexed cheaply and rendered lazily.

Only the skeleton of each article is drawn up front, in compact arrays: when it was published (a
realistic rate, busier by day than at night), its edition and its category. Everything else (headline,
paragraphs, photo, tags) is drawn from ``Random(f"{seed}:story:{site_id}")`` when a page needs it, so
starting at 100,000 articles costs a fraction of a second and the same seed always gives the same site.

Article URLs end in the site id (``/en/finance/oil-prices-fall-1012345``), so finding the article of a
path is a lookup, not a search.

The site moves on with :meth:`GeneratedIndex.advance`: K articles published after the newest one, and M
headlines of recent articles corrected (with a modified time), each change drawn from the seed and the
generation number, so a restart with the same parameters reproduces it.
"""

from __future__ import annotations

import random
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import islice

from fixtures.generator.render import SIDEBAR_SIZE, ArticleView
from fixtures.generator.stories import SNAPSHOT_AT, Story, load_stories
from newscrawl.site import LANGUAGES, SITE

EPOCH = datetime(2000, 1, 1)
DEFAULT_END = SNAPSHOT_AT  # the newest of the first N articles
FIRST_SITE_ID = 1_000_000
# Shares of the editions and of day versus night, roughly as report.az publishes.
LANGUAGE_SHARES = {"az": 0.45, "en": 0.25, "ru": 0.30}
NIGHT_HOURS = range(0, 7)
NIGHT_FACTOR = 0.25
_LANGS = tuple(LANGUAGE_SHARES)
CHANGE_WINDOW = 30  # headlines are corrected among this many newest articles (a few hours)
_SLUG_WORD = re.compile(r"[^a-z0-9]+")
_TRANSLIT = str.maketrans(
    {
        **dict(zip("əışçğöü", "eiscgou", strict=True)),
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        "ё": "e",
        "ж": "zh",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ь": "",
        "ю": "yu",
        "я": "ya",
    }
)


def slug_of(title: str, site_id: int) -> str:
    """A URL slug: the headline transliterated to Latin letters, ended by the site id.

    >>> slug_of("Xırdalanda yanğın söndürülüb", 1000001)
    'xirdalanda-yangin-sondurulub-1000001'
    >>> slug_of("Нефть Brent подешевела", 1000002)
    'neft-brent-podeshevela-1000002'
    """
    words = _SLUG_WORD.sub("-", title.lower().translate(_TRANSLIT)).strip("-")
    return f"{'-'.join(words.split('-')[:8])}-{site_id}"


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, tuple[str, ...]]:
    """Words of each edition, taken from the snapshot's own stories so generated text reads like them."""
    words: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
    for story in load_stories():
        for text in (story.title, *story.paragraphs):
            words[story.lang].update(w.strip('.,:;“”"«»()') for w in text.split() if "<" not in w)
    return {lang: tuple(sorted(w for w in found if w.isalpha())) for lang, found in words.items()}


@dataclass
class GeneratedIndex:
    """The generated site at its current generation, readable by ``fixtures.generator.render``."""

    seed: int
    articles: int
    per_day: float = 300.0
    end: datetime = DEFAULT_END
    feed_size: int = 20
    category_size: int = 10
    added: int = field(default=0, init=False)  # articles published by advance()
    generation: int = field(default=0, init=False)
    languages: Sequence[str] = LANGUAGES
    corrections: dict[int, tuple[int, datetime]] = field(default_factory=dict)  # site id -> (n, modified)
    # Arrays in chronological order (index = site_id - FIRST_SITE_ID); filled by _extend.
    _seconds: array[int] = field(default_factory=lambda: array("q"))
    _lang: bytearray = field(default_factory=bytearray)
    _category: bytearray = field(default_factory=bytearray)
    _by_listing: dict[tuple[int, int], array[int]] = field(default_factory=dict)  # ordinals, oldest first

    def __post_init__(self) -> None:
        if not 1 <= self.articles <= 1_000_000:
            raise ValueError(f"articles must be between 1 and 1,000,000 (got {self.articles})")
        past = _moments(random.Random(f"{self.seed}:past"), self.end, self.articles, self.per_day, -1)
        self._extend(reversed(past), random.Random(f"{self.seed}:kinds"))
        self._future = random.Random(f"{self.seed}:future")
        self._future_kinds = random.Random(f"{self.seed}:future-kinds")

    # -- building ----------------------------------------------------------------------------------

    def _extend(self, moments: Iterable[datetime], rng: random.Random) -> None:
        langs = _LANGS
        weights = list(LANGUAGE_SHARES.values())
        for moment in moments:
            ordinal = len(self._seconds)
            lang = rng.choices(range(len(langs)), weights)[0]
            category = rng.randrange(len(SITE[langs[lang]].categories))
            self._seconds.append(int((moment - EPOCH).total_seconds()))
            self._lang.append(lang)
            self._category.append(category)
            for key in ((lang, 255), (lang, category)):
                self._by_listing.setdefault(key, array("q")).append(ordinal)

    def _add(self, count: int) -> list[int]:
        start = len(self._seconds)
        moments = _moments(self._future, self.now, count, self.per_day, +1)
        self._extend(moments, self._future_kinds)
        self.added += count
        return list(range(start, len(self._seconds)))

    def advance(self, add: int, change: int) -> tuple[list[Story], list[Story]]:
        """Publish ``add`` new articles and correct ``change`` recent headlines; the stories affected."""
        self.generation += 1
        rng = random.Random(f"{self.seed}:change:{self.generation}")
        newest_first = (
            o for o in range(len(self._seconds) - 1, -1, -1) if self._lang_code(o) in self.languages
        )
        candidates = list(islice(newest_first, CHANGE_WINDOW))
        chosen = rng.sample(candidates, min(change, len(candidates)))
        new = self._add(add)
        for ordinal in chosen:
            site_id = FIRST_SITE_ID + ordinal
            count = self.corrections.get(site_id, (0, self.now))[0]
            self.corrections[site_id] = (count + 1, self.now)
        return [self.story(o) for o in new], [self.story(o) for o in chosen]

    def correct(self, path: str) -> Story | None:
        """Correct the headline of the article at ``path`` (any age), as an editor would; None if none."""
        found = self.article(path)
        if found is None:
            return None
        site_id = found.story.site_id
        count = self.corrections.get(site_id, (0, self.now))[0]
        self.corrections[site_id] = (count + 1, self.now)
        return self.story(site_id - FIRST_SITE_ID)

    # -- reading -----------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The moment of the newest article: the site's clock."""
        return EPOCH + timedelta(seconds=self._seconds[-1])

    @property
    def oldest(self) -> datetime:
        return EPOCH + timedelta(seconds=self._seconds[0])

    def __len__(self) -> int:
        return len(self._seconds)

    def _lang_code(self, ordinal: int) -> str:
        return _LANGS[self._lang[ordinal]]

    def listing(
        self, lang: str, category: str | None, older_than: datetime | None, limit: int
    ) -> list[Story]:
        lang_index = _LANGS.index(lang)
        if category is None:
            key = (lang_index, 255)
        else:
            slugs = [c.slug for c in SITE[lang].categories]
            key = (lang_index, slugs.index(category))
        ordinals = self._by_listing.get(key, array("q"))
        end = len(ordinals)
        if older_than is not None:
            limit_seconds = int((older_than - EPOCH).total_seconds())
            # Ordinals are chronological, so their seconds are sorted: bisect on a key view.
            end = bisect_left(_SecondsView(self._seconds, ordinals), limit_seconds)
        return [self.story(ordinals[i]) for i in range(end - 1, max(end - limit, 0) - 1, -1)]

    def article(self, path: str) -> ArticleView | None:
        tail = path.rstrip("/").rsplit("-", 1)[-1]
        if not tail.isdigit():
            return None
        ordinal = int(tail) - FIRST_SITE_ID
        if not 0 <= ordinal < len(self._seconds) or self._lang_code(ordinal) not in self.languages:
            return None
        story = self.story(ordinal)
        if path.rstrip("/") != story.path:
            return None
        return ArticleView(story, [], self.listing(story.lang, None, None, SIDEBAR_SIZE))

    def story(self, ordinal: int) -> Story:
        site_id = FIRST_SITE_ID + ordinal
        count, modified = self.corrections.get(site_id, (0, None))
        return _story(
            self.seed,
            site_id,
            self._lang[ordinal],
            self._category[ordinal],
            self._seconds[ordinal],
            count,
            modified,
        )

    def urls(self) -> list[str]:
        """Every article URL of the site, newest first."""
        return [story.url for story in self.stories()]

    def stories(self) -> list[Story]:
        """Every article of the site at its current version, newest first."""
        return [
            self.story(o)
            for o in range(len(self._seconds) - 1, -1, -1)
            if self._lang_code(o) in self.languages
        ]


class _SecondsView(Sequence[int]):
    """``seconds[ordinals[i]]`` without copying, for bisect."""

    def __init__(self, seconds: array[int], ordinals: array[int]) -> None:
        self._seconds, self._ordinals = seconds, ordinals

    def __len__(self) -> int:
        return len(self._ordinals)

    def __getitem__(self, i: int) -> int:  # type: ignore[override]
        return self._seconds[self._ordinals[i]]


def _moments(
    rng: random.Random, start: datetime, count: int, per_day: float, direction: int
) -> list[datetime]:
    """``count`` publishing moments from ``start`` (included when going back), at least a second apart."""
    # per_day is the daily average: the daytime rate is higher by what the quiet night hours lose.
    day_share = (24 - len(NIGHT_HOURS) * (1 - NIGHT_FACTOR)) / 24
    mean_gap = 86400 * day_share / per_day
    out: list[datetime] = []
    moment = start
    if direction < 0:
        out.append(moment)
    while len(out) < count:
        factor = NIGHT_FACTOR if moment.hour in NIGHT_HOURS else 1.0
        gap = max(1, round(rng.expovariate(factor / mean_gap)))
        moment += timedelta(seconds=gap * direction)
        out.append(moment)
    return out


@lru_cache(maxsize=4096)
def _story(
    seed: int,
    site_id: int,
    lang_index: int,
    category: int,
    seconds: int,
    corrections: int,
    modified: datetime | None,
) -> Story:
    lang = _LANGS[lang_index]
    words = vocabulary()[lang]
    rng = random.Random(f"{seed}:story:{site_id}")

    def sentence(low: int, high: int) -> str:
        text = " ".join(rng.choice(words) for _ in range(rng.randint(low, high)))
        return text[:1].upper() + text[1:]

    first_title = sentence(5, 11)
    paragraphs = tuple(
        " ".join(sentence(8, 18) + "." for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(3, 9))
    )
    image = f"{rng.getrandbits(128):032x}" if rng.random() < 0.7 else None
    media = rng.choice([(), (), (), (), (), (), ("photo",), ("video",)])
    tags = tuple(rng.sample(words, rng.randint(0, 4)))
    author = sentence(2, 2) if rng.random() < 0.3 else None
    title = first_title
    for _ in range(corrections):  # each correction draws the next headline; the slug keeps the first
        title = sentence(5, 11)
    return Story(
        key=f"{lang}-{site_id}",
        lang=lang,
        site_id=site_id,
        category=SITE[lang].categories[category].slug,
        slug=slug_of(first_title, site_id),
        title=title,
        published=EPOCH + timedelta(seconds=seconds),
        paragraphs=paragraphs,
        modified=modified,
        author=author,
        image=image,
        media=media,
        tags=tuple(dict.fromkeys(tags)),
    )
