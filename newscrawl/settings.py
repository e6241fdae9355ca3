"""Scrapy settings for newscrawl.

Each setting that overrides Scrapy's default says so. Paths and contacts come from the environment
(``NEWSCRAWL_*``), so a Scrapyd host or a cron job configures the crawler without editing code.
"""

from __future__ import annotations

import os

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# Where the crawler writes: the SQLite store and the JSON Lines exports.
NEWSCRAWL_DATA_DIR = os.environ.get("NEWSCRAWL_DATA_DIR", "data")
NEWSCRAWL_SQLITE = os.environ.get("NEWSCRAWL_SQLITE", os.path.join(NEWSCRAWL_DATA_DIR, "newscrawl.sqlite3"))
NEWSCRAWL_SQLITE_BATCH = 100  # the store commits every N items and at close

# Replay answers every request from a snapshot directory (see fixtures/README.md); record writes every
# response of a live crawl into the same layout. Both empty by default: a plain live crawl.
NEWSCRAWL_REPLAY = os.environ.get("NEWSCRAWL_REPLAY", "")
NEWSCRAWL_RECORD = os.environ.get("NEWSCRAWL_RECORD", "")
# Under replay, drops the delay and raises concurrency: nothing is fetched from the live site.
# RenderAddon switches scrapy-splash on when NEWSCRAWL_RENDER (or -a render=) is splash or auto.
ADDONS = {
    "newscrawl.replay.ReplayAddon": 0,
    "newscrawl.origin.OriginAddon": 0,
    "newscrawl.render.RenderAddon": 10,
}
# Fetch every report.az URL from this origin instead (the loopback site simulator, newscrawl/origin.py);
# URLs in items and the store stay https://report.az/... Politeness is unchanged.
NEWSCRAWL_ORIGIN = os.environ.get("NEWSCRAWL_ORIGIN", "")

# Pages through a Splash server: plain (default), splash or auto (newscrawl/render.py).
NEWSCRAWL_RENDER = os.environ.get("NEWSCRAWL_RENDER", "plain")
SPLASH_URL = os.environ.get("SPLASH_URL", "http://127.0.0.1:8050")
NEWSCRAWL_SPLASH_TIMEOUT = 30.0  # seconds Splash may take for one page (its render.json timeout)
NEWSCRAWL_SPLASH_WAIT = 0.0  # extra seconds after the load event, for content fetched later by script

# Identify the crawler and say where to complain.
NEWSCRAWL_CONTACT_URL = os.environ.get("NEWSCRAWL_CONTACT_URL", "https://github.com/newscrawl/newscrawl")
USER_AGENT = f"newscrawl/0.1 (+{NEWSCRAWL_CONTACT_URL})"  # default "Scrapy/VERSION (+https://scrapy.org)"

# Politeness for the live site. Replay raises concurrency and drops the delay (see newscrawl/replay.py).
ROBOTSTXT_OBEY = True  # default False
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # default 8
DOWNLOAD_DELAY = 1.0  # default 0
AUTOTHROTTLE_ENABLED = True  # default False
AUTOTHROTTLE_START_DELAY = 2.0  # default 5.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # default 1.0, stated because politeness depends on it
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]  # default also retries 429: a 429 means stop
# A burst of 403/429 closes the spider with the reason "blocked" (newscrawl/middlewares.py).
NEWSCRAWL_BLOCKED_THRESHOLD = 5
HTTPERROR_ALLOWED_CODES = [403, 429]  # the blocked-burst middleware must see them

DOWNLOAD_HANDLERS = {  # default: Scrapy's HTTP/1.1 handler, which ReplayDownloadHandler wraps
    "http": "newscrawl.replay.ReplayDownloadHandler",
    "https": "newscrawl.replay.ReplayDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    "newscrawl.middlewares.BlockedMiddleware": 50,
    "newscrawl.replay.RecordMiddleware": 950,
}

ITEM_PIPELINES = {
    "newscrawl.pipelines.ValidatePipeline": 100,
    "newscrawl.pipelines.DedupePipeline": 200,
    "newscrawl.pipelines.SqlitePipeline": 300,
}

EXTENSIONS = {
    "newscrawl.extensions.Progress": 500,
}
NEWSCRAWL_PROGRESS_INTERVAL = 30.0  # seconds between progress lines

# JSON Lines, one file per item class, appended run after run. `-o`/`-O` on the command line replace
# this (command-line priority), as Scrapy users expect.
FEEDS = {
    os.path.join(NEWSCRAWL_DATA_DIR, "articles.jsonl"): {
        "format": "jsonlines",
        "encoding": "utf-8",
        "item_classes": ["newscrawl.items.Article"],
        "overwrite": False,
    },
    os.path.join(NEWSCRAWL_DATA_DIR, "feed_entries.jsonl"): {
        "format": "jsonlines",
        "encoding": "utf-8",
        "item_classes": ["newscrawl.items.FeedEntry"],
        "overwrite": False,
    },
}
FEED_EXPORT_ENCODING = "utf-8"  # default None (\u escapes)
FEED_STORAGES = {  # default: Scrapy's FileFeedStorage, whose buffered writes can leave a torn line
    "": "newscrawl.feeds.LineSafeFileFeedStorage",
    "file": "newscrawl.feeds.LineSafeFileFeedStorage",
}

TELNETCONSOLE_ENABLED = False  # default True: nothing should listen on a port it does not need
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("NEWSCRAWL_LOG_LEVEL", "INFO")  # default DEBUG
COMMANDS_MODULE = "newscrawl.commands"
