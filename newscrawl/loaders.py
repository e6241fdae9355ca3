"""Item loaders for Article and FeedEntry, and the small processors they are built from.

The loaders only normalise values; choosing which part of a page a value comes from is
``newscrawl.parsing``'s job. Values added first win (``TakeFirst``), so the parser adds its layers in
order of trust and a layer that yields nothing simply falls through to the next.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping
from re import Pattern
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from itemloaders import ItemLoader
from itemloaders import processors as _processors
from itemloaders.processors import Identity, TakeFirst
from itemloaders.utils import arg_to_iter, get_func_args

from newscrawl.attribution import is_promo, source_agency
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
    if _is_clean(value):
        return value  # as most values are by their second processor
    value = html.unescape(value)
    value = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    return _SPACES.sub(" ", value).strip()


def _is_clean(value: str) -> bool:
    """Whether no step of clean_text would change a value: no entity; no character that is not printable
    (every white space but the space, every invisible and control character is not); single spaces
    between words only; NFC.

    >>> _is_clean("S. Korean ministers"), _is_clean("a\\u00a0b"), _is_clean("a  b"), _is_clean("a\\u200bb")
    (True, False, False, False)
    """
    return (
        value.isprintable()
        and "&" not in value
        and "  " not in value
        and value[:1] != " "
        and value[-1:] != " "
        and (value.isascii() or unicodedata.is_normalized("NFC", value))
    )


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


def unique(values: Iterable[Any]) -> list[Any]:
    """Values in first-seen order without repeats; [] when there are none (a list is never None).

    >>> unique(["a", "b", "a"]), unique([])
    (['a', 'b'], [])
    """
    return list(dict.fromkeys(values))


def first_not_none(values: Iterable[Any]) -> Any:
    """The first value that is not None, keeping "" and False (``TakeFirst`` skips "").

    >>> first_not_none([None, "", "Yonhap"])
    ''
    """
    return next((value for value in values if value is not None), None)


def credited_agency(values: Iterable[str | None]) -> str | None:
    """The first credit a layer states; "" (Report is the source) ends the search but is output as None.

    A layer that says "Report informs" without an agency is an answer, so later layers are not asked; the
    item spells "no agency" as None like every other absent scalar.

    >>> credited_agency([None, "Yonhap News Agency", "TASS"]), credited_agency(["", "TASS"]) is None
    ('Yonhap News Agency', True)
    """
    return first_not_none(values) or None


def _takes_loader_context(function: Callable[..., Any]) -> bool:
    return "loader_context" in get_func_args(function)


class MapCompose(_processors.MapCompose):
    """itemloaders' ``MapCompose``, with which of its functions take the loader context found once, when
    the processor is built, instead of on every call."""

    def __init__(self, *functions: Callable[..., Any], **default_loader_context: Any) -> None:
        super().__init__(*functions, **default_loader_context)
        self._steps = tuple((f, _takes_loader_context(f)) for f in functions)

    def __call__(self, value: Any, loader_context: Mapping[str, Any] | None = None) -> list[Any]:
        values = arg_to_iter(value)
        context: Mapping[str, Any] = self.default_loader_context
        if loader_context:
            context = ChainMap(loader_context, context) if context else loader_context  # type: ignore[arg-type]
        for function, takes_context in self._steps:
            next_values: list[Any] = []
            for v in values:
                try:
                    result = function(v, loader_context=context) if takes_context else function(v)
                except Exception as e:
                    raise ValueError(
                        f"Error in MapCompose with {function!s} value={value!r} "
                        f"error='{type(e).__name__}: {e!s}'"
                    ) from e
                if result.__class__ is str:
                    next_values.append(result)
                else:
                    next_values += arg_to_iter(result)
            values = next_values
        return values  # type: ignore[return-value]


class CachedLoader(ItemLoader):
    """An ``ItemLoader`` that looks up each field's input and output processor once per loader class (the
    base class asks the item's field metadata on every value added and every value read), and whether
    it takes the loader context."""

    _input: ClassVar[dict[str, tuple[Callable[..., Any], bool]]] = {}
    _output: ClassVar[dict[str, tuple[Callable[..., Any], bool]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._input, cls._output = {}, {}

    def _input_step(self, field_name: str) -> tuple[Callable[..., Any], bool]:
        step = self._input.get(field_name)
        if step is None:
            proc = self.get_input_processor(field_name)
            step = self._input[field_name] = (proc, _takes_loader_context(proc))
        return step

    def _output_step(self, field_name: str) -> tuple[Callable[..., Any], bool]:
        step = self._output.get(field_name)
        if step is None:
            proc = self.get_output_processor(field_name)
            step = self._output[field_name] = (proc, _takes_loader_context(proc))
        return step

    def add_value(
        self,
        field_name: str | None,
        value: Any,
        *processors: Callable[..., Any],
        re: str | Pattern[str] | None = None,
        **kw: Any,
    ) -> Self:
        """``ItemLoader.add_value``; a value for one field without processors of its own (how the parsers
        add every value) goes straight to the field's input processor."""
        if processors or re or kw or not field_name:
            return super().add_value(field_name, value, *processors, re=re, **kw)
        if value is not None:
            processed = self._process_input_value(field_name, arg_to_iter(value))
            if processed:
                self._values.setdefault(field_name, []).extend(arg_to_iter(processed))
        return self

    def _process_input_value(self, field_name: str, value: Any) -> Any:
        proc, takes_context = self._input_step(field_name)
        try:
            return proc(value, loader_context=self.context) if takes_context else proc(value)
        except Exception as e:
            raise ValueError(
                f"Error with input processor {proc.__class__.__name__}:"
                f" field={field_name!r} value={value!r} error='{type(e).__name__}: {e!s}'"
            ) from e

    def get_output_value(self, field_name: str) -> Any:
        proc, takes_context = self._output_step(field_name)
        value = self._values.get(field_name, [])
        try:
            return proc(value, loader_context=self.context) if takes_context else proc(value)
        except Exception as e:
            raise ValueError(
                f"Error with output processor: field={field_name!r} "
                f"value={value!r} error='{type(e).__name__}: {e!s}'"
            ) from e


class ArticleLoader(CachedLoader):
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
    source_agency_text_out = credited_agency
    translations_in = Identity()
    fetched_at_in = Identity()


class FeedEntryLoader(CachedLoader):
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
