"""Who a story comes from, and which lines of a body are not the story: the attribution grammar of the
three editions ("Report informs via Yonhap News Agency", "“Report” “Yonhap” agentliyinə istinadən xəbər
verir", "сообщает Report со ссылкой на агентство Yonhap") and the promo, share and credit lines the site
appends to its articles. Text analysis only: no markup, no Scrapy.
"""

from __future__ import annotations

import re

from newscrawl.agencies import is_known_agency

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
    return _PROMO.match(line) is not None


# The patterns as one alternation: one match call per line instead of one per pattern.
_PROMO = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in PROMO_PATTERNS), re.IGNORECASE)


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
