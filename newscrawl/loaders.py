"""Item loaders for Article and FeedEntry, and the small processors they are built from.

The loaders only normalise values; choosing which part of a page a value comes from is
``newscrawl.parsing``'s job. Values added first win (``TakeFirst``), so the parser adds its layers in
order of trust and a layer that yields nothing simply falls through to the next.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from itemloaders import ItemLoader
from itemloaders.processors import Identity, MapCompose, TakeFirst

from newscrawl.agencies import is_known_agency
from newscrawl.dates import isoformat, parse_date
from newscrawl.items import Article, FeedEntry
from newscrawl.site import BASE_URL, SITE, canonical_url

# Spaces that HTML editors leave in news text: NBSP, narrow NBSP, figure space.
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
# Removed: zero-width space, word joiner and BOM (editor debris), the bidirectional embeddings, overrides
# and isolates (they can make text display as something else), and the C0/C1 controls other than the
# whitespace _SPACES folds. Kept: ZWNJ and ZWJ, which Persian and Arabic words and emoji sequences need.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """Text as a reader sees it: entities decoded, NFC, odd and zero-width spaces gone, single spaces.

    >>> clean_text("  S.&nbsp;Korean\\u200b ministers\\n\\t head&#8230; ")
    'S. Korean ministers head…'
    >>> clean_text("Azərbaycan") == "Azərbaycan"  # "ə" + combining dot is composed
    True

    Joiners stay, for Persian words and emoji sequences; bidi overrides and control characters go:

    >>> clean_text("می\\u200cخواهم") == "می\\u200cخواهم", clean_text("👩\\u200d💻") == "👩\\u200d💻"
    (True, True)
    >>> clean_text("invoice\\u202egnp.exe"), clean_text("a\\x00b\\x1bc\\u2066d\\u2069")
    ('invoicegnp.exe', 'abcd')
    """
    value = html.unescape(value)
    value = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    return _SPACES.sub(" ", value).strip()


# Lines the site appends to stories that are not article text: share/subscribe calls and source
# credits. Matched at the start of a paragraph, case-insensitively, after clean_text.
PROMO_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"follow us on\b",
        r"subscribe to (?:our|report)\b",
        r"join (?:us|our)\b.*\b(?:telegram|whatsapp|channel)",
        r"source:",
        r"read (?:also|more):",
        r"mənbə:",
        r"(?:“?report”?(?:['’]?un)?\s+)?telegram kanal",
        r"(?:photo|foto|фото|video|видео)\s*:",  # a caption that sits in a <p> of its own
        r"bizi .*izləyin",
        r"abunə olun",
        r"(?:həmçinin )?oxu(?:yun)?:",
        r"источник:",
        r"подписывайтесь\b",
        r"читайте (?:также|еще|ещё):",
        r"читайте (?:нас|report) в\b",
    )
)


def is_promo(line: str) -> bool:
    """Whether a cleaned paragraph is a promo/share/source line rather than article text.

    >>> [is_promo(x) for x in ("Follow us on Telegram", "Mənbə: APA", "Источник: ТАСС")]
    [True, True, True]
    >>> [is_promo(x) for x in ("Read also: CBA keeps rate", "Həmçinin oxu: ...", "Читайте также: ...")]
    [True, True, True]
    >>> is_promo("“Report”un Telegram kanalına abunə olun"), is_promo("Подписывайтесь на наш канал")
    (True, True)
    >>> is_promo("Telegram was blocked in the country on Monday, the regulator said.")
    False
    """
    return any(pattern.match(line) for pattern in PROMO_PATTERNS)


def body_paragraph(value: str) -> str | None:
    """A cleaned body paragraph, or None for an empty or promo line (MapCompose then drops it).

    >>> body_paragraph("  The visit comes&nbsp;as Trump announced ... ")
    'The visit comes as Trump announced ...'
    >>> body_paragraph("Follow us on Telegram") is None, body_paragraph(" \\u200b ") is None
    (True, True)
    """
    text = clean_text(value)
    return None if not text or is_promo(text) else text


def body_paragraphs(values: Iterable[str]) -> list[str]:
    """The article paragraphs of a layer, in order, promo and empty lines removed.

    >>> body_paragraphs(["First.", " ", "Second&nbsp;one.", "Mənbə: APA"])
    ['First.', 'Second one.']
    """
    return [text for text in map(body_paragraph, values) if text is not None]


def join_paragraphs(paragraphs: Iterable[str]) -> str | None:
    """The body: paragraphs joined by a blank line, or None when there are none.

    >>> join_paragraphs(["One.", "Two."])
    'One.\\n\\nTwo.'
    >>> join_paragraphs([]) is None
    True
    """
    body = "\n\n".join(paragraphs)
    return body or None


def first_paragraph(body: str) -> str:
    """The lead: the body's first paragraph.

    >>> first_paragraph("One.\\n\\nTwo.")
    'One.'
    """
    return body.split("\n\n", 1)[0]


_WORD = re.compile(r"\w+(?:[-'’.]\w+)*")


def word_count(text: str) -> int:
    """Words of a text; hyphenated, elided and dotted forms count once.

    >>> word_count("S. Korean ministers head to Washington, D.C., on Kim Jung-kwan's trip")
    11
    >>> word_count("“Report” xəbər verir ki, 16 noyabr")
    6
    """
    return len(_WORD.findall(text))


_QUOTES = "“”„«»\"'‘’"
# Attribution lines. en: "..., Report informs via Yonhap News Agency." az: "“Report” “Yonhap”
# agentliyinə istinadən xəbər verir." ru: "..., сообщает Report со ссылкой на агентство Yonhap."
# The agency is the outlet whose story Report relays. In English "via" names it, while "Report
# informs, citing the Foreign Ministry" is Report's own story quoting a source. Azerbaijani
# "istinadən" and Russian "со ссылкой на" serve both meanings, so there the referent counts as an
# agency only when it is named as an outlet (agentlik, qəzet, агентство, газета ...) or is a bare
# Latin-script name (Reuters, Bloomberg). Everything else that credits Report ("Report informs.",
# "“Report”a ... məlumat verilib", "“Report”un Cənub bürosu", "сообщает Report") gives "".
_AGENCY_EN = re.compile(
    r"\bReport(?:['’]s [\w ]+? bureau)? informs\b(?: via (?:the )?(?P<agency>.+?)(?:\.?\s*$|[,;]|\.\s))?"
)
_AGENCY_AZ = re.compile(
    r"Report[”\"»]?(?:['’]?(?:a|ə|un|ün))?\s+"
    r"(?:(?P<agency>[^.,;]+?)\s+istinadən\s+)?xəbər\s+ver(?:ir|ib)"
    r"|Report[”\"»]?['’]?(?:a\s[^.]*(?:məlumat verilib|bildirilib|açıqlanıb)|un\s+[\w-]+\s+bürosu)"
)
_AGENCY_RU = re.compile(
    r"(?:сообщает|передает|передаёт)\s+Report\b(?:,?\s+со\s+ссылкой\s+на\s+(?P<agency>[^.,;]+))?"
    r"|Report\s+(?:сообщили|рассказали)|корреспондент\w*\s+Report"
)
# "agentliyinə" (possessive + dative) -> "agentliyi": the suffix "-na/-nə" is dropped; "Reuters-ə",
# "APA-ya" lose the dative after the hyphen or apostrophe.
_AZ_DATIVE = re.compile(r"(?:(?<=[iıuü])n[aə]|[-'’](?:y?[aə]))$")
_AZ_OUTLETS = ("agentliyi", "qəzeti", "nəşri", "saytı", "portalı", "telekanalı", "jurnalı", "radiosu")
_RU_ACCUSATIVE = {"газету": "газета", "службу": "служба"}
_RU_OUTLETS = ("агентство", "информагентство", "газета", "издание", "телеканал", "портал", "сайт", "журнал")
_LATIN_NAME = re.compile(r"^[A-Z][\w&.-]*(?: [A-Z][\w&.-]*)*$")
# "Report informs, citing TASS": "citing" names an agency only when the name is a known one.
_CITING_EN = re.compile(r"\bReport informs,? citing (?:the )?(?P<agency>[^.,;]+)")
# A credit line of its own: "Source: TASS", "Mənbə: APA", "Источник: ТАСС".
_SOURCE_LINE = re.compile(r"^(?:source|mənbə|источник)\s*:\s*(?P<agency>[^.,;]+)", re.IGNORECASE)


def _is_outlet_name(words: list[str], outlets: tuple[str, ...], index: int) -> bool:
    name = " ".join(words)
    return words[index].lower() in outlets or bool(_LATIN_NAME.match(name)) or is_known_agency(name)


def source_agency(text: str) -> str | None:
    """The agency a story is credited to, "" when Report itself is the source, None when not said.

    Names come as the page writes them in its language, with the grammar of the attribution undone:
    quotes removed, the Azerbaijani dative and Russian feminine accusative turned back to the base form.

    >>> source_agency("... officials said Thursday, Report informs via Yonhap News Agency.")
    'Yonhap News Agency'
    >>> source_agency("... against the country, Report informs via the UK Mission to the OSCE.")
    'UK Mission to the OSCE'
    >>> source_agency("The ministry said this, Report informs.")
    ''
    >>> source_agency("..., Report informs, citing the Foreign Ministry.")
    ''
    >>> source_agency("The parliament approved it, Report's Georgian bureau informs.")
    ''

    >>> source_agency("Bu barədə “Report” “Yonhap” agentliyinə istinadən xəbər verir.")
    'Yonhap agentliyi'
    >>> source_agency("“Report” xəbər verir ki, nazir Bakıya gəlib.")
    ''
    >>> source_agency("“Report” Reuters-ə istinadən xəbər verir.")
    'Reuters'
    >>> source_agency("Bu barədə “Report”a FHN-dən bildirilib.")
    ''
    >>> source_agency("“Report” agentliyin hesabatına istinadən xəbər verir.")  # a document, not an outlet
    ''
    >>> source_agency("Об этом сообщает Report со ссылкой на агентство «Рёнхап».")
    'агентство Рёнхап'
    >>> source_agency("Об этом сообщает Report со ссылкой на газету «Известия».")
    'газета Известия'
    >>> source_agency("Об этом сообщает Report со ссылкой на Reuters.")
    'Reuters'
    >>> source_agency("Как сообщает Report, ...")
    ''
    >>> source_agency("Об этом сообщает Report со ссылкой на пресс-службу министерства.")
    ''
    >>> source_agency("Министр прибыл в Вашингтон.") is None
    True
    >>> source_agency("Об этом сообщает Report со ссылкой на ТАСС.")
    'ТАСС'
    >>> source_agency("Об этом сообщает Report со ссылкой на МИД.")  # a ministry, not an agency
    ''
    >>> source_agency("Об этом сообщает Report со ссылкой на «Рёнхап».")
    'Рёнхап'
    >>> source_agency("The talks ended, Report informs, citing TASS.")
    'TASS'
    >>> source_agency("Источник: ТАСС"), source_agency("Mənbə: nazirliyin mətbuat xidməti")
    ('ТАСС', '')
    """
    for pattern in (_AGENCY_EN, _AGENCY_AZ, _AGENCY_RU):
        match = pattern.search(text)
        if match is None:
            continue
        agency = match.group("agency")
        if agency is None and pattern is _AGENCY_EN and (citing := _CITING_EN.search(text)):
            name = citing.group("agency").strip()
            return name if is_known_agency(name) else ""
        if agency is None:
            return ""
        words = [word.strip(_QUOTES) for word in agency.split()]
        words = [word for word in words if word]
        if pattern is _AGENCY_AZ and words:
            words[-1] = _AZ_DATIVE.sub("", words[-1])
            if not _is_outlet_name(words, _AZ_OUTLETS, -1):
                return ""
        if pattern is _AGENCY_RU and words:
            words[0] = _RU_ACCUSATIVE.get(words[0].lower(), words[0])
            if not _is_outlet_name(words, _RU_OUTLETS, 0):
                return ""
        return " ".join(words)
    line = _SOURCE_LINE.match(text)
    if line is not None:
        words = [word.strip(_QUOTES) for word in line.group("agency").split()]
        name = " ".join(word for word in words if word)
        return name if _LATIN_NAME.match(name) or is_known_agency(name) else ""
    return None


def to_canonical_url(value: str, loader_context: Mapping[str, Any]) -> str | None:
    """An absolute canonical URL (``newscrawl.site.canonical_url``), resolved against the page URL.

    >>> to_canonical_url("finance/x/", {"base_url": "https://report.az/en/"})
    'https://report.az/en/finance/x'
    >>> to_canonical_url("data:image/gif;base64,R0lGOD", {}) is None, to_canonical_url(" ", {}) is None
    (True, True)
    >>> to_canonical_url("http://[::1/x", {}) is None
    True
    """
    value = value.strip()
    if not value or value.startswith(("data:", "javascript:", "#")):
        return None
    try:
        return canonical_url(value, loader_context.get("base_url") or BASE_URL)
    except ValueError:  # unparseable, such as an unclosed IPv6 host: no URL rather than a crash
        return None


def last_path_segment(url: str) -> str | None:
    """The slug a canonical URL ends with.

    >>> last_path_segment("https://report.az/en/other-countries")
    'other-countries'
    >>> last_path_segment("https://report.az/") is None
    True
    """
    segment = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    return segment or None


def iso_date(value: str) -> str | None:
    """A date string in any form ``newscrawl.dates.parse_date`` reads, as ISO 8601 Baku time.

    >>> iso_date("29 January, 2026 15:08")
    '2026-01-29T15:08:00+04:00'
    >>> iso_date("yesterday") is None
    True
    """
    return isoformat(parse_date(value))


def media_kind(marker: str, loader_context: Mapping[str, Any]) -> str | None:
    """A card's media marker ("Photo", "Foto", "Видео") as "photo"/"video", per the page's language.

    >>> media_kind(" Photo ", {"language": "en"}), media_kind("ВИДЕО", {"language": "ru"})
    ('photo', 'video')
    >>> media_kind("Live", {"language": "en"}) is None
    True
    """
    markers = SITE[loader_context.get("language") or "az"].media_markers
    wanted = clean_text(marker).casefold()
    return next((kind for text, kind in markers.items() if text.casefold() == wanted), None)


def tag_text(value: str) -> str | None:
    """A tag as displayed, without a leading "#" or separators.

    >>> tag_text(" #South Korea, "), tag_text(" , ") is None
    ('South Korea', True)
    """
    text = clean_text(value).lstrip("#").strip(" ,;|")
    return text or None


def unique(values: Iterable[Any]) -> list[Any] | None:
    """Values in first-seen order without repeats; None when there are none.

    >>> unique(["a", "b", "a"]), unique([])
    (['a', 'b'], None)
    """
    result = list(dict.fromkeys(values))
    return result or None


def first_not_none(values: Iterable[Any]) -> Any:
    """The first value that is not None, keeping "" and False (``TakeFirst`` skips "").

    >>> first_not_none([None, "", "Yonhap"])
    ''
    """
    return next((value for value in values if value is not None), None)


class ArticleLoader(ItemLoader):
    """Builds an Article. Context: ``base_url`` (the page URL) resolves relative links."""

    default_item_class = Article
    default_input_processor = MapCompose(clean_text)
    default_output_processor = TakeFirst()

    url_in = MapCompose(to_canonical_url)
    image_url_in = MapCompose(to_canonical_url)
    images_in = MapCompose(to_canonical_url)
    images_out = unique
    published_at_in = MapCompose(clean_text, iso_date)
    modified_at_in = MapCompose(clean_text, iso_date)
    category_slug_in = MapCompose(to_canonical_url, last_path_segment)
    tags_in = MapCompose(tag_text)
    tags_out = unique
    # The parser adds the paragraphs of one layer only (the first that has any), so they join as one body.
    body_in = MapCompose(body_paragraph)
    body_out = join_paragraphs
    word_count_in = Identity()
    has_video_in = Identity()
    # The parser adds the credit as the page words it; source_agency is its canonical name (agencies.py).
    source_agency_text_in = MapCompose(clean_text, source_agency)
    source_agency_text_out = first_not_none
    translations_in = Identity()
    fetched_at_in = Identity()


class FeedEntryLoader(ItemLoader):
    """Builds a FeedEntry. Context: ``base_url`` and ``language`` (for the media markers)."""

    default_item_class = FeedEntry
    default_input_processor = MapCompose(clean_text)
    default_output_processor = TakeFirst()

    url_in = MapCompose(to_canonical_url)
    image_url_in = MapCompose(to_canonical_url)
    published_at_in = MapCompose(clean_text, iso_date)
    media_in = MapCompose(media_kind)
    media_out = Identity()
    listing_url_in = Identity()
    position_in = Identity()
    seen_at_in = Identity()
