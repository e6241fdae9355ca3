"""The project's add-on: the user agent names newscrawl, and a contact only when one is set."""

from __future__ import annotations

import logging

import pytest
from scrapy.settings import Settings

from newscrawl.addon import NewscrawlAddon


def user_agent(values: dict[str, str]) -> str:
    settings = Settings({"NEWSCRAWL_CONTACT_URL": "", **values})
    NewscrawlAddon().update_settings(settings)
    return str(settings.get("USER_AGENT"))


def test_the_user_agent_gives_the_contact_that_is_set() -> None:
    assert user_agent({"NEWSCRAWL_CONTACT_URL": "https://example.org/ops"}) == (
        "newscrawl/0.1 (+https://example.org/ops)"
    )


def test_without_a_contact_the_live_crawl_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="newscrawl.addon"):
        assert user_agent({}) == "newscrawl/0.1"
    assert [r.getMessage() for r in caplog.records] == [
        "The user agent gives no contact: set NEWSCRAWL_CONTACT_URL to an address where the site's "
        "operators can reach whoever runs this crawler"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="newscrawl.addon"):
        assert user_agent({"NEWSCRAWL_REPLAY": "fixtures/snapshot"}) == "newscrawl/0.1"
    assert not caplog.records  # a replay reaches no one


def test_a_user_agent_set_by_hand_is_kept() -> None:
    settings = Settings({"NEWSCRAWL_CONTACT_URL": ""})
    settings.set("USER_AGENT", "ours/2.0", priority="cmdline")
    NewscrawlAddon().update_settings(settings)
    assert settings.get("USER_AGENT") == "ours/2.0"
