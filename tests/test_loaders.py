"""Item loaders: layered values, text clean-up, body, attribution, URLs and media markers."""

from __future__ import annotations

import pytest

from newscrawl.attribution import source_agency
from newscrawl.items import Article, FeedEntry
from newscrawl.loaders import ArticleLoader, FeedEntryLoader, body_paragraphs


def test_first_layer_with_a_value_wins() -> None:
    loader = ArticleLoader(base_url="https://report.az/en/finance/x")
    loader.add_value("title", ["  ", "\u200b"])
    loader.add_value("title", "Visible&nbsp;title")
    loader.add_value("title", "JSON-LD title")
    loader.add_value("published_at", ["not a date", "2026-01-29 15:08:00"])
    assert loader.load_item() == Article(title="Visible title", published_at="2026-01-29T15:08:00+04:00")


def test_article_body_lead_and_attribution() -> None:
    paragraphs = ["Lead, Report informs via Yonhap.", "Follow us on Telegram", "Second\u00a0one."]
    loader = ArticleLoader()
    loader.add_value("body", paragraphs)
    loader.add_value("source_agency_text", paragraphs)
    article = loader.load_item()
    assert article.body == "Lead, Report informs via Yonhap.\n\nSecond one."
    assert article.source_agency_text == "Yonhap"


def test_report_as_source_is_null_and_ends_the_search() -> None:
    loader = ArticleLoader()
    loader.add_value("source_agency_text", ["No attribution here.", "The ministry said, Report informs."])
    assert loader.load_item().source_agency_text is None
    # "Report informs" in the body is the answer: a later layer's credit is not taken instead.
    loader = ArticleLoader()
    loader.add_value("source_agency_text", ["The ministry said, Report informs.", "Report informs via TASS."])
    loader.add_value("source_agency_text", ["Report informs via Yonhap."])
    assert loader.load_item().source_agency_text is None


def test_lists_are_empty_not_null() -> None:
    article = ArticleLoader().load_item()
    assert (article.tags, article.images, article.translations) == ([], [], {})
    loader = ArticleLoader()
    loader.add_value("tags", [" , ", "#"])
    assert loader.load_item().tags == []


def test_urls_are_canonical_and_relative_to_the_page() -> None:
    loader = ArticleLoader(base_url="https://report.az/en/finance/x")
    loader.add_value("url", "http://www.report.az/en/amp/finance/x/?utm_source=tg#top")
    loader.add_value("category_slug", "/en/finance/")
    loader.add_value("images", ["data:image/gif;base64,R0l", "https://static.report.az/photo/a_850.jpg"] * 2)
    loader.add_value("translations", {"az": "https://report.az/maliyye-xeberleri/x"})
    article = loader.load_item()
    assert article.url == "https://report.az/en/finance/x"
    assert article.category_slug == "finance"
    assert article.images == ["https://static.report.az/photo/a_850.jpg"]
    assert article.translations == {"az": "https://report.az/maliyye-xeberleri/x"}


@pytest.mark.parametrize(
    ("language", "markers", "expected"),
    [
        ("en", ["Photo", "Video"], ["photo", "video"]),
        ("az", ["Foto"], ["photo"]),
        ("ru", ["Видео"], ["video"]),
    ],
)
def test_feed_entry_media_markers_per_language(
    language: str, markers: list[str], expected: list[str]
) -> None:
    loader = FeedEntryLoader(base_url="https://report.az/", language=language)
    loader.add_value("media", [*markers, "Live"])
    loader.add_value("url", "/ru/biznes/x/")
    loader.add_value("position", 0)
    assert loader.load_item() == FeedEntry(media=expected, url="https://report.az/ru/biznes/x", position=0)


@pytest.mark.parametrize(
    "line",
    [
        "Follow us on Telegram",
        "Mənbə: Rəqəmsal İnkişaf və Nəqliyyat Nazirliyi",
        "Telegram kanalımıza abunə olun",
        "Источник: ТАСС",
        "Подписывайтесь на наш Telegram",
        "Read also: CBA keeps refinancing rate unchanged",
    ],
)
def test_promo_lines_are_not_body_text(line: str) -> None:
    assert body_paragraphs(["Story.", line]) == ["Story."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("..., Report informs via Yonhap News Agency.", "Yonhap News Agency"),
        ("..., Report informs via Reuters.", "Reuters"),
        ("..., Report informs, citing SOCAR.", ""),
        ("“Report” “Yonhap” agentliyinə istinadən xəbər verir ki, ...", "Yonhap agentliyi"),
        ("Bu barədə “Report”a Energetika Nazirliyindən məlumat verilib.", ""),
        ("“Report”un Cənub bürosunun məlumatına görə, hadisə ...", ""),
        ("..., сообщает Report со ссылкой на агентство Yonhap.", "агентство Yonhap"),
        ("..., сообщает Report.", ""),
        ("The minister arrived in Washington.", None),
    ],
)
def test_source_agency(text: str, expected: str | None) -> None:
    assert source_agency(text) == expected
