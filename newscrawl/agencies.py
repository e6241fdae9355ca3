"""News agencies as Report credits them, in Latin and Cyrillic script: one canonical name per agency.

A credit line names the agency in the edition's language and script ("Yonhap News Agency", "“Yonhap”
agentliyi", "агентство Рёнхап", "ТАСС"). ``canonical_agency`` strips the outlet words and the quotes
and maps every known spelling to one name, so the three editions of a story agree; an agency this table
does not know keeps its name as written, without outlet words. Add spellings here when a crawl shows
new ones (``SELECT source_agency, count(*) FROM articles GROUP BY 1``).
"""

from __future__ import annotations

import re

# canonical name -> spellings seen or expected in the three editions (compared case-insensitively).
AGENCIES: dict[str, tuple[str, ...]] = {
    "Yonhap": ("Yonhap", "Yonhap News", "Рёнхап", "Ренхап", "Йонхап"),
    "TASS": ("TASS", "ТАСС", "ИТАР-ТАСС", "ITAR-TASS"),
    "Reuters": ("Reuters", "Рейтер", "Рейтерс"),
    "Bloomberg": ("Bloomberg", "Блумберг"),
    "AFP": ("AFP", "France-Presse", "France Presse", "Agence France-Presse", "Франс Пресс", "Франс-Пресс"),
    "Associated Press": ("Associated Press", "AP", "Ассошиэйтед Пресс", "Ассошиэйтед пресс"),
    "Anadolu": ("Anadolu", "Anadolu Agency", "Anadolu Ajansı", "Анадолу"),
    "Xinhua": ("Xinhua", "Синьхуа"),
    "Interfax": ("Interfax", "Интерфакс"),
    "RIA Novosti": ("RIA Novosti", "РИА Новости"),
    "IRNA": ("IRNA", "ИРНА"),
    "Kyodo": ("Kyodo", "Киодо", "Kyodo News"),
    "APA": ("APA", "АПА"),
    "Trend": ("Trend", "Тренд"),
    "AZERTAC": ("AZERTAC", "AzerTac", "АЗЕРТАДЖ", "Азертадж"),
    "Sputnik": ("Sputnik", "Спутник"),
    "Ukrinform": ("Ukrinform", "Укринформ"),
    "UNIAN": ("UNIAN", "УНИАН"),
    "BBC": ("BBC", "Би-би-си"),
    "CNN": ("CNN", "Си-эн-эн"),
    "Al Jazeera": ("Al Jazeera", "Аль-Джазира"),
    "Tasnim": ("Tasnim", "Тасним"),
    "Fars": ("Fars", "Фарс"),
    "Izvestia": ("Izvestia", "İzvestiya", "Известия"),
    "Kommersant": ("Kommersant", "Kommersant", "Коммерсантъ", "Коммерсант"),
    "RBC": ("RBC", "РБК"),
}
_BY_SPELLING = {spelling.casefold(): name for name, spellings in AGENCIES.items() for spelling in spellings}
_QUOTES = "“”„«»\"'‘’"
# Outlet words around a name: "News Agency", "agentliyi", "агентство", "газета" ...
_OUTLET_WORDS = re.compile(
    r"^(?:the|(?:news|information|state)?\s*agency|agentliyi|informasiya agentliyi|qəzeti|nəşri|saytı|"
    r"portalı|telekanalı|jurnalı|radiosu|(?:информ)?агентство|агентства|газета|издание|телеканал|портал|"
    r"сайт|журнал)$",
    re.IGNORECASE,
)
_NEWS_AGENCY_SUFFIX = re.compile(r"\s+(?:news\s+)?agency$", re.IGNORECASE)


def is_known_agency(name: str) -> bool:
    """Whether a name, outlet words and quotes aside, is an agency of the table.

    >>> is_known_agency("ТАСС"), is_known_agency("«Рёнхап»"), is_known_agency("Министерство")
    (True, True, False)
    """
    return _core(name).casefold() in _BY_SPELLING


def canonical_agency(name: str | None) -> str | None:
    """One name per agency, whatever the edition's script and grammar; "" and None pass through.

    >>> [canonical_agency(x) for x in ("ТАСС", "TASS", "TASS agentliyi", "агентство ТАСС")]
    ['TASS', 'TASS', 'TASS', 'TASS']
    >>> [canonical_agency(x) for x in ("Yonhap News Agency", "Yonhap agentliyi", "агентство Рёнхап")]
    ['Yonhap', 'Yonhap', 'Yonhap']
    >>> canonical_agency("газета Известия"), canonical_agency("UK Mission to the OSCE")
    ('Izvestia', 'UK Mission to the OSCE')
    >>> canonical_agency("Nikkei Asia agentliyi"), canonical_agency(""), canonical_agency(None)
    ('Nikkei Asia', '', None)
    """
    if not name:
        return name
    core = _core(name)
    return _BY_SPELLING.get(core.casefold(), core)


def _core(name: str) -> str:
    words = [word.strip(_QUOTES) for word in name.split()]
    words = [word for word in words if word]
    while words and _OUTLET_WORDS.match(words[0]):
        words = words[1:]
    while words and _OUTLET_WORDS.match(words[-1]):
        words = words[:-1]
    core = " ".join(words)
    if core.casefold() not in _BY_SPELLING:
        core = _NEWS_AGENCY_SUFFIX.sub("", core) or core
    return core
