"""report.az as data: languages, URL rules, canonical URLs, category slugs and link texts.

Everything here that the live site may contradict is marked with a confidence from
``docs/site.md``: H (seen in several sources), M (seen once), G (a guess). The spider
reads links from the pages themselves; these tables are fallbacks and the snapshot's ground truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

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
_SITE_ID = re.compile(r"(\d+)/?$")


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
    parts = urlsplit(safe_url_string(url if "://" in url else urljoin(base, url)))
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
    path = urlsplit(canonical_url(url)).path
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
