"""report.az as data: languages, URL rules, canonical URLs, category slugs and link texts.

Everything here that the live site may contradict is marked with a confidence from
``docs/site.md``: H (seen in several sources), M (seen once), G (a guess). The spider
reads links from the pages themselves; these tables are fallbacks and the snapshot's ground truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

DOMAIN = "report.az"
BASE_URL = f"https://{DOMAIN}"
STATIC_HOST = "static.report.az"
LANGUAGES: tuple[str, ...] = ("az", "en", "ru")


@dataclass(frozen=True, slots=True)
class Category:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    prefix: str  # path prefix: "" for az, "/en" and "/ru" (H)
    feed_path: str  # the Latest News page: az H, en/ru G (the spider prefers the page's own link)
    feed_link_text: str  # text of the link at the foot of the Latest News column
    media_markers: dict[str, str]  # visible marker text -> normalised media kind
    categories: tuple[Category, ...]

    @property
    def home_url(self) -> str:
        return f"{BASE_URL}{self.prefix}/"

    @property
    def feed_url(self) -> str:
        return f"{BASE_URL}{self.prefix}{self.feed_path}"

    def category_url(self, slug: str) -> str:
        return f"{BASE_URL}{self.prefix}/{slug}"

    def category(self, slug: str) -> Category | None:
        return next((c for c in self.categories if c.slug == slug), None)


SITE: dict[str, Language] = {
    "az": Language(
        code="az",
        prefix="",
        feed_path="/son-xeberler",  # H
        feed_link_text="Bütün xəbər lenti",  # G
        media_markers={"Foto": "photo", "Video": "video"},  # G
        categories=(  # slugs H, display names G
            Category("diger-olkeler", "Digər ölkələr"),
            Category("region-xeberleri", "Region"),
            Category("maliyye-xeberleri", "Maliyyə"),
            Category("daxili-siyaset", "Daxili siyasət"),
            Category("xarici-siyaset", "Xarici siyasət"),
            Category("energetika", "Energetika"),
            Category("futbol-xeberleri", "Futbol"),
            Category("hadise", "Hadisə"),
            Category("ikt", "İKT"),
        ),
    ),
    "en": Language(
        code="en",
        prefix="/en",
        feed_path="/latest-news",  # G
        feed_link_text="All News Feed",  # H (seed page)
        media_markers={"Photo": "photo", "Video": "video"},  # Photo H (seed page), Video G
        categories=(  # slugs H/M (region G), names H (seed page) or G
            Category("other-countries", "Other countries"),
            Category("region", "Region"),
            Category("finance", "Finance"),
            Category("domestic-politics", "Domestic policy"),
            Category("foreign-politics", "Foreign policy"),
            Category("energy", "Energy"),
            Category("business", "Business"),
            Category("ict", "ICT"),
        ),
    ),
    "ru": Language(
        code="ru",
        prefix="/ru",
        feed_path="/poslednie-novosti",  # G
        feed_link_text="Вся лента новостей",  # G
        media_markers={"Фото": "photo", "Видео": "video"},  # G
        categories=(  # drugie-strany, biznes, ikt M; the rest G
            Category("drugie-strany", "Другие страны"),
            Category("region", "Регион"),
            Category("finansy", "Финансы"),
            Category("vnutrennyaya-politika", "Внутренняя политика"),
            Category("vneshnyaya-politika", "Внешняя политика"),
            Category("energetika", "Энергетика"),
            Category("biznes", "Бизнес"),
            Category("ikt", "ИКТ"),
        ),
    ),
}

# Prefixes that are aliases of a canonical page: the old "/az/" prefix (M) and English AMP pages (M).
_ALIAS_PREFIXES: tuple[tuple[str, str], ...] = (("/az/", "/"), ("/en/amp/", "/en/"), ("/ru/amp/", "/ru/"))
_HOSTS = {DOMAIN, f"www.{DOMAIN}"}
_SITE_ROOT = f"{BASE_URL}/"
_SITE_ID = re.compile(r"(\d+)/?$")
# A URL as most links write it: lower-case scheme and host (a name, not an address), a path of unreserved
# characters (no percent escapes, no dot segments), then at most a query or fragment of visible ASCII.
# safe_url_string would change none of it.
_PLAIN_URL = re.compile(
    r"https?://(?P<host>(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*)(?P<path>(?:/(?!\.\.?(?:[/?#]|\Z))[\w~.-]*)*)"
    r"(?P<rest>[?#][!-\[\]-~]*)?\Z",
    re.ASCII,
)


def canonical_url(url: str, base: str = BASE_URL) -> str:
    """The one canonical form of a report.az URL, for cards, articles and translations alike.

    Absolute, https, bare host, no trailing slash, old ``/az/`` and AMP aliases folded, query and
    fragment dropped. URLs of other hosts are only made absolute and safe.

    >>> canonical_url("/en/other-countries/s-korean-ministers/")
    'https://report.az/en/other-countries/s-korean-ministers'
    >>> canonical_url("http://www.report.az/az/hadise/yangin1?utm_source=x#top")
    'https://report.az/hadise/yangin1'
    >>> canonical_url("https://report.az/en/amp/finance/some-story/")
    'https://report.az/en/finance/some-story'
    >>> canonical_url("https://report.az/")
    'https://report.az/'
    """
    return _canonical_absolute(url if "://" in url else urljoin(base, url))


@lru_cache(maxsize=64)
def _canonical_absolute(url: str) -> str:
    """``canonical_url`` of an absolute URL, remembered for the last few: a page asks for its own URL
    several times (its response URL, its canonical link, the edition of both), its photo twice."""
    plain = _PLAIN_URL.match(url)
    if plain is not None and plain.group("host") in _HOSTS:  # the query and fragment are dropped
        path: str = plain.group("path") or "/"
    elif plain is not None and plain.group("rest") is None:
        return url
    else:
        parts = urlsplit(safe_url_string(url))
        if parts.hostname not in _HOSTS:
            return urlunsplit(parts)
        path = parts.path or "/"
    for alias, replacement in _ALIAS_PREFIXES:
        if path.startswith(alias):
            path = replacement + path[len(alias) :]
            break
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return urlunsplit(("https", DOMAIN, path, "", ""))


def language_of(url: str) -> str:
    """The edition a report.az URL belongs to.

    >>> language_of("https://report.az/ru/biznes/x")
    'ru'
    >>> language_of("https://report.az/hadise/x")
    'az'
    """
    canonical = canonical_url(url)
    # The site's canonical URLs are the base URL and a path: the path without a parse.
    path = canonical[len(BASE_URL) :] if canonical.startswith(_SITE_ROOT) else urlsplit(canonical).path
    for code in ("en", "ru"):
        if path == f"/{code}" or path.startswith(f"/{code}/"):
            return code
    return "az"


def site_id_from(copy_url: str) -> str | None:
    """Digits of a ``.copy-url[data-url]`` value such as ``report.az/1234567``.

    >>> site_id_from("report.az/en/1234567")
    '1234567'
    >>> site_id_from("report.az/en/") is None
    True
    """
    match = _SITE_ID.search(copy_url.strip())
    return match.group(1) if match else None


# --- what the parser recognises besides class names (see newscrawl/parsing/) --------------------

# Heading of the Latest News column in each edition (az, ru G; en H from the seed page).
LATEST_NEWS_HEADINGS: dict[str, tuple[str, ...]] = {
    "az": ("Son xəbərlər",),
    "en": ("Latest News",),
    "ru": ("Последние новости",),
}
# Category slugs seen in real article URLs beyond SITE's crawled categories (REPORT_AZ.md, H/M): a menu
# link to one of them is a category link even when the menu carries no known class.
OTHER_CATEGORY_SLUGS: dict[str, tuple[str, ...]] = {
    "az": (
        "komanda", "ferdi", "sehiyye-xeberler", "elm-ve-tehsil-xeberleri", "infrastruktur",
        "incesenet-xeberleri", "dini-xeberler", "biznes-xeberleri", "ekologiya", "medeniyyet-siyaseti",
        "herbi-xeberler", "diaspora", "qarabag", "media-xeber", "turizm", "analitika",
        "iqtisadiyyat-xeberleri",
    ),
    "en": ("analytics",),
    "ru": ("cop29",),
}  # fmt: skip
# The site-wide share image (og:image of pages without a photo of their own) and other chrome: never
# an article's image. Article photos live under static.report.az/photo/ (M); these are guesses (G).
_SITE_IMAGE = re.compile(
    r"/assets/|/(?:static|img|images)/(?:default|share|og)|(?:^|[/_-])(?:default|share|og-?image|logo|"
    r"placeholder|no-?image|noimage)[^/]*\.(?:jpe?g|png|gif|webp|svg)$",
    re.IGNORECASE,
)


def is_site_image(url: str) -> bool:
    """Whether an image URL is the site's own (default share image, logo), not an article's photo.

    >>> is_site_image("https://static.report.az/assets/img/report-share.jpg")
    True
    >>> is_site_image("https://report.az/images/default-share.png"), is_site_image("https://x/og-image.jpg")
    (True, True)
    >>> is_site_image("https://static.report.az/photo/6801267d-ed76-4cbb_850.jpg")
    False
    """
    return bool(_SITE_IMAGE.search(urlsplit(url).path))


# First path segments that are no category: the infinite-scroll endpoints, tags, archive, search, feeds.
NOT_CATEGORIES = frozenset({"infinity", "tags", "archive", "search", "amp", "rss"})


def page_path(url: str) -> list[str]:
    """The path segments of a report.az URL after its edition's prefix.

    >>> page_path("https://report.az/en/finance/some-story/"), page_path("https://report.az/")
    (['finance', 'some-story'], [])
    """
    segments = [s for s in urlsplit(canonical_url(url)).path.split("/") if s]
    return segments[1:] if SITE[language_of(url)].prefix else segments


def is_article_url(url: str) -> bool:
    """Whether a report.az URL is an article page: ``/{prefix}/{category}/{slug}``.

    >>> is_article_url("https://report.az/en/amp/finance/x/"), is_article_url("https://report.az/en/finance")
    (True, False)
    >>> is_article_url("https://report.az/en/tags/south-korea"), is_article_url("https://report.az/infinity/index")
    (False, False)
    """
    segments = page_path(url)
    return len(segments) == 2 and segments[0] not in NOT_CATEGORIES


def listing_for(url: str) -> str | None:
    """The ``listing`` name of the cards of a listing page or batch, None for any other URL.

    >>> listing_for("https://report.az/en/"), listing_for("https://report.az/son-xeberler")
    ('home', 'feed')
    >>> listing_for("https://report.az/ru/infinity/index?date=2026-01-29+15%3A08%3A00&oldest=1")
    'feed'
    >>> listing_for("https://report.az/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00")
    'category:finance'
    >>> listing_for("https://report.az/en/finance"), listing_for("https://report.az/en/finance/x") is None
    ('category:finance', True)
    """
    segments = page_path(url)
    language = SITE[language_of(url)]
    if not segments:
        return "home"
    if segments == ["infinity", "index"] or "/" + "/".join(segments) == language.feed_path:
        return "feed"
    if segments == ["infinity", "category"]:
        slug = parse_qs(urlsplit(url).query).get("slug", [""])[0]
        return f"category:{slug}" if slug else None
    if len(segments) == 1 and segments[0] not in NOT_CATEGORIES:
        return f"category:{segments[0]}"
    return None
