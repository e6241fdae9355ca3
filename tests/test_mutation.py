"""Markup-mutation tests: the parser on snapshot pages whose visible markup was changed from a seed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from crawling import SNAPSHOT, Crawled, crawl, last_run, read_jsonl

from fixtures.generator.mutate import MUTATIONS, mutate_page, mutate_snapshot
from fixtures.generator.robustness import FIXTURES, THRESHOLD, VISIBLE_ONLY, Score, goldens, score, table
from newscrawl.replay import path_to_url

SEEDS = ("1", "2", "3")
CLASS = re.compile(r'class="([^"]*)"')


# Parses every snapshot page under every mutation: seconds of CPU, so outside `make check` (docs/testing.md).
@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    result = score(SEEDS)
    print(f"\nper-field agreement on mutated pages, seeds {','.join(SEEDS)}\n{table(result)}")
    print(f"not held to the threshold (carried only by the visible markup): {sorted(VISIBLE_ONLY)}")
    return result


@pytest.mark.slow
def test_every_field_with_more_than_one_source_survives_mutation(scores: dict[str, Score]) -> None:
    held = {name: entry for name, entry in scores.items() if name not in VISIBLE_ONLY}
    assert {name.split(".")[0] for name in held} == {"article"}
    below = {name: f"{e.share:.1%}: {e.misses[:3]}" for name, e in held.items() if e.share < THRESHOLD}
    assert not below


@pytest.mark.slow
def test_every_article_field_is_measured(scores: dict[str, Score]) -> None:
    from newscrawl.items import Article

    measured = {name.split(".", 1)[1] for name in scores if name.startswith("article.")}
    assert measured == set(Article.__dataclass_fields__) - {"fetched_at", "language"}


def test_mutations_take_away_every_class_the_parser_knows() -> None:
    applied: set[str] = set()
    known = ("news-detail__desc", "index-post-block", "latest-news", "section-title", "tags", "news__title")
    for name, _, page in goldens():
        url = path_to_url(page.relative_to(FIXTURES / name).as_posix())
        html = page.read_text(encoding="utf-8")
        for seed in SEEDS:
            mutated, names = mutate_page(html, seed, url)
            applied.update(names)
            classes = " ".join(CLASS.findall(mutated)).split()
            assert not set(known) & set(classes), url
            assert html.split("</head>", 1)[0].count("ld+json") == mutated.split("</head>", 1)[0].count(
                "ld+json"
            )
    assert applied == set(MUTATIONS)


def test_a_seed_gives_the_same_pages() -> None:
    _, _, page = goldens()[0]
    html = page.read_text(encoding="utf-8")
    assert mutate_page(html, "7", "https://report.az/x") == mutate_page(html, "7", "https://report.az/x")
    assert mutate_page(html, "7", "https://report.az/x") != mutate_page(html, "8", "https://report.az/x")


@pytest.mark.slow
def test_a_crawl_of_a_mutated_snapshot_stores_the_same_articles(
    tmp_path: Path, snapshot_crawl: Crawled
) -> None:
    """End to end: home-page navigation, listings, cards and articles all read from mutated markup."""
    mutate_snapshot(SNAPSHOT, tmp_path / "mutated", "11")
    result = crawl(tmp_path / "mutated", tmp_path / "mutated", "since=2000-01-01")
    assert result.returncode == 0, result.stderr[-3000:]
    runs = {}
    # The plain snapshot's replay is the one other tests share.
    for name, data in (("plain", snapshot_crawl.data), ("mutated", tmp_path / "mutated")):
        articles = read_jsonl(data / "articles.jsonl")
        runs[name] = {a["url"]: {k: v for k, v in a.items() if k != "fetched_at"} for a in articles}
        assert last_run(data).stats["newscrawl/monitors/failed"] == 0
    assert runs["mutated"] == runs["plain"]
    assert len(runs["plain"]) == 60
