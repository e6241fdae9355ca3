"""Scrapy settings for newscrawl.

Each setting that overrides Scrapy's default says so. The ``NEWSCRAWL_*`` settings take ``-s`` (or
Scrapyd's ``setting=``) first and the environment as a fallback, so a Scrapyd host or a cron job
configures the crawler without editing code. What derives from them (the store path, the default JSON
Lines feeds, the user agent) is resolved when the crawl starts, by ``newscrawl.addon.NewscrawlAddon``.
"""

from __future__ import annotations

import os

from newscrawl.items import Article, FeedEntry

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# Where the crawler writes: the SQLite store (default <data dir>/newscrawl.sqlite3) and the JSON Lines.
NEWSCRAWL_DATA_DIR = os.environ.get("NEWSCRAWL_DATA_DIR", "data")
NEWSCRAWL_SQLITE = os.environ.get("NEWSCRAWL_SQLITE", "")
NEWSCRAWL_SQLITE_BATCH = 100  # the store commits every N writes (once their JSON lines are written)
# Late headline corrections: every NEWSCRAWL_RECHECK_HOURS the Latest News walk of each edition goes down
# NEWSCRAWL_CORRECTION_DAYS plus that interval without stopping at known cards (at most
# NEWSCRAWL_RECHECK_MAX_PAGES pages), so a headline corrected up to that many days after publication is
# fetched again within the interval. 0 hours turns it off (docs/store.md).
NEWSCRAWL_CORRECTION_DAYS = 2
NEWSCRAWL_RECHECK_HOURS = 12
NEWSCRAWL_RECHECK_MAX_PAGES = 50
# Owed URLs are logged one per line up to this many; above it they go to owed-run-<id>.txt beside the store.
NEWSCRAWL_OWED_LOG_CAP = 20

# Replay answers every request from a snapshot directory (see fixtures/README.md); record writes every
# response of a live crawl into the same layout. Both empty by default: a plain live crawl.
NEWSCRAWL_REPLAY = os.environ.get("NEWSCRAWL_REPLAY", "")
NEWSCRAWL_RECORD = os.environ.get("NEWSCRAWL_RECORD", "")
# The raw page archive (docs/warc.md): every response of the crawl as WARC/1.1 records in this directory,
# files rotated past NEWSCRAWL_WARC_MAX_BYTES. Empty by default: no archive. NEWSCRAWL_REPLAY also takes
# such a directory (or one .warc.gz file) and replays from it.
NEWSCRAWL_WARC = os.environ.get("NEWSCRAWL_WARC", "")
# Both checked when the crawl starts (newscrawl.warc.WarcAddon): a bad value stops it with one sentence.
NEWSCRAWL_WARC_MAX_BYTES = os.environ.get("NEWSCRAWL_WARC_MAX_BYTES") or str(1024**3)  # 1 GiB
NEWSCRAWL_WARC_GZIP_LEVEL = os.environ.get("NEWSCRAWL_WARC_GZIP_LEVEL") or "1"  # zlib 1 (fast) .. 9
ADDONS = {
    "newscrawl.addon.NewscrawlAddon": 0,
    # Under replay, drops the delay and raises concurrency: nothing is fetched from the live site.
    "newscrawl.replay.ReplayAddon": 10,
    "newscrawl.origin.OriginAddon": 20,
    # Switches scrapy-splash on when NEWSCRAWL_RENDER (or -a render=) is splash or auto.
    "newscrawl.render.addon.RenderAddon": 30,
    # Writes the WARC archive when NEWSCRAWL_WARC is set (newscrawl/warc/).
    "newscrawl.warc.WarcAddon": 40,
}
# Fetch every report.az URL from this origin instead (the loopback site simulator, newscrawl/origin.py);
# URLs in items and the store stay https://report.az/... Politeness is unchanged.
NEWSCRAWL_ORIGIN = os.environ.get("NEWSCRAWL_ORIGIN", "")

# The crawl's "now", fixed (ISO date and time, Baku time unless an offset is given), in any mode: for tests
# and reproducible runs. Empty: the machine's clock (under replay, the snapshot's moment).
NEWSCRAWL_CLOCK = os.environ.get("NEWSCRAWL_CLOCK", "")

# Continuous history (docs/history.md): every run, after its ordinary walk, extends the archive back toward
# this date (as -a history=). Empty: off.
NEWSCRAWL_HISTORY = os.environ.get("NEWSCRAWL_HISTORY", "")

# Pages through a Splash server: plain (default), splash or auto (newscrawl/render/).
NEWSCRAWL_RENDER = os.environ.get("NEWSCRAWL_RENDER", "plain")
SPLASH_URL = os.environ.get("SPLASH_URL", "http://127.0.0.1:8050")
NEWSCRAWL_SPLASH_TIMEOUT = 30.0  # seconds Splash may take for one page (its render.json timeout)
NEWSCRAWL_SPLASH_WAIT = 0.0  # extra seconds after the load event, for content fetched later by script

# Identify the crawler and say where to complain: USER_AGENT (default "Scrapy/VERSION
# (+https://scrapy.org)") becomes "newscrawl/0.1 (+<contact URL>)" unless set. Empty by default, as no
# address is the right one for every deployment: the user agent is then "newscrawl/0.1", and a crawl of
# the live site warns once that it gives no contact.
NEWSCRAWL_CONTACT_URL = os.environ.get("NEWSCRAWL_CONTACT_URL", "")

# The project's public address (its repository or home page), linked from an exported dataset's card and
# Data Package. Empty by default: the dataset links to nothing that may not exist.
NEWSCRAWL_PROJECT_URL = os.environ.get("NEWSCRAWL_PROJECT_URL", "")

# Politeness for the live site. Replay raises concurrency and drops the delay (see newscrawl/replay/addon.py).
ROBOTSTXT_OBEY = True  # default False
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # default 8
DOWNLOAD_DELAY = 1.0  # default 0
AUTOTHROTTLE_ENABLED = True  # default False
AUTOTHROTTLE_START_DELAY = 2.0  # default 5.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # default 1.0, stated because politeness depends on it
# A report.az page weighs 100-300 KB; a body past 10 MiB is a fault or a trap, and is dropped (reason
# too_large) instead of filling memory.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # default 1 GiB
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024  # default 32 MiB
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]  # default also retries 429: a 429 means stop
# A burst of 403/429 closes the spider with the reason "blocked" (newscrawl/middlewares.py); 0 turns
# that off, and each 403/429 is then logged as a failure with its URL.
NEWSCRAWL_BLOCKED_THRESHOLD = 5

DOWNLOADER_MIDDLEWARES = {
    "newscrawl.middlewares.BlockedMiddleware": 50,
    # Between RetryMiddleware (550) and RedirectMiddleware (600): sees final 200s, retries them itself.
    "newscrawl.middlewares.EmptyBodyMiddleware": 560,
}
# Replay (NEWSCRAWL_REPLAY) and record (NEWSCRAWL_RECORD) wire their download handler and middleware
# themselves, only when set (newscrawl.replay.ReplayAddon).

SPIDER_MIDDLEWARES = {
    # Every card of every listing page, for the Listings drift monitor (newscrawl/cardcount.py).
    "newscrawl.cardcount.CardCountMiddleware": 950,
}

ITEM_PIPELINES = {
    "newscrawl.pipelines.ValidatePipeline": 100,
    # spidermon's JSON Schema validation (ItemValidationPipeline) against newscrawl/schemas/.
    "newscrawl.pipelines.SchemaValidationPipeline": 150,
    "newscrawl.pipelines.DedupePipeline": 200,
    "newscrawl.pipelines.StorePipeline": 300,
}

EXTENSIONS = {
    "newscrawl.runlock.RunLock": 90,  # one crawl per store at a time, for the whole run
    "newscrawl.ledger.Ledger": 100,  # owns the store: opened when the crawler is built
    "newscrawl.extensions.Progress": 500,
}
NEWSCRAWL_PROGRESS_INTERVAL = 30.0  # seconds between progress lines

# JSON Lines: without -o/-O, one file per item class in NEWSCRAWL_DATA_DIR, appended run after run
# (newscrawl/addon.py). `-o`/`-O` on the command line, or Scrapyd's items_dir, replace them.
FEED_EXPORT_ENCODING = "utf-8"  # default None (\u escapes)
FEED_STORAGES = {  # default: Scrapy's FileFeedStorage, whose buffered writes can leave a torn line
    "": "newscrawl.feeds.LineSafeFileFeedStorage",
    "file": "newscrawl.feeds.LineSafeFileFeedStorage",
}

TELNETCONSOLE_ENABLED = False  # default True: nothing should listen on a port it does not need
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("NEWSCRAWL_LOG_LEVEL", "INFO")  # default DEBUG
COMMANDS_MODULE = "newscrawl.commands"

# Drift monitors (newscrawl/monitors.py), run by spidermon when a crawl ends: each failure is one ERROR line
# and kept in the run's stats (newscrawl/monitors/failed); docs/monitors.md says how to tune them.
SPIDERMON_ENABLED = True
# spidermon's extension with a runner that logs a failed monitor as one line (newscrawl/monitorlog.py).
EXTENSIONS["newscrawl.monitorlog.Spidermon"] = 510
SPIDERMON_SPIDER_CLOSE_MONITORS = ("newscrawl.monitors.MonitorSuite",)
SPIDERMON_ADD_FIELD_COVERAGE = True
# A value is present only when it is neither null nor empty, however absence is spelled; False and 0
# are answers (has_video, word_count).
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True
SPIDERMON_FIELD_COVERAGE_SKIP_FALSY = False
SPIDERMON_FIELD_COVERAGE_SKIP_VALUES: list[object] = ["", [], {}]
# The item schemas (newscrawl/schemas/) checked during the crawl; an item that fails is dropped with the
# reason invalid_<field> and owed (stats spidermon/validation/..., newscrawl/dropped/invalid_<field>).
SPIDERMON_VALIDATION_SCHEMAS = {
    Article: "newscrawl.schemas.ARTICLE",
    FeedEntry: "newscrawl.schemas.FEED_ENTRY",
}
SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS = True  # default False: counted, then stored anyway
NEWSCRAWL_MONITOR_MAX_INVALID_SHARE = 0.01  # share of a run's items that fail their schema
# Drift: each field's coverage (and each edition's cards per listing page) against the median of the
# last NEWSCRAWL_MONITOR_BASELINE_RUNS complete runs of at least NEWSCRAWL_MONITOR_MIN_ARTICLES articles.
# Until that many exist, only the floors are checked.
NEWSCRAWL_MONITOR_BASELINE_RUNS = 10
NEWSCRAWL_MONITOR_MIN_ARTICLES = 20  # fewer articles in a run: coverage is not judged
# A field fires when its coverage is below the median by more than its margin (and by more than three
# standard errors of the run's own sample); per-field margins override the default one.
NEWSCRAWL_MONITOR_COVERAGE_MARGIN = 0.15
NEWSCRAWL_MONITOR_COVERAGE_MARGINS: dict[str, float] = {}
# Absolute floors, only for the fields every article must have; checked from the first run.
NEWSCRAWL_MONITOR_FIELD_FLOORS = {
    "url": 0.95,
    "title": 0.95,
    "body": 0.95,
    "published_at": 0.95,
    "language": 0.95,
}
NEWSCRAWL_MONITOR_CARDS_MARGIN = 0.5  # cards per listing page may fall to half the median
NEWSCRAWL_MONITOR_MAX_ERROR_SHARE = 0.1  # share of 4xx/5xx among all responses
NEWSCRAWL_MONITOR_NEW_ARTICLES_HOURS = 24.0  # crawl-clock hours that should bring a new article

# Alerts (newscrawl/alerts.py, docs/monitors.md): once per run that failed a monitor (any outcome but
# complete fails one), through each channel whose setting is set. Secrets come from the environment
# (deploy/scrapyd.env.example), never from this file.
NEWSCRAWL_ALERT_WEBHOOK = os.environ.get("NEWSCRAWL_ALERT_WEBHOOK", "")  # Slack, Mattermost or Discord
SPIDERMON_SMTP_HOST = os.environ.get("SPIDERMON_SMTP_HOST", "")  # email: on when set
SPIDERMON_SMTP_PORT = int(os.environ.get("SPIDERMON_SMTP_PORT") or 587)  # spidermon's default 25
SPIDERMON_SMTP_USER = os.environ.get("SPIDERMON_SMTP_USER", "")
SPIDERMON_SMTP_PASSWORD = os.environ.get("SPIDERMON_SMTP_PASSWORD", "")
# STARTTLS before the login; 0 only for a server on loopback.
SPIDERMON_SMTP_ENFORCE_TLS = os.environ.get("SPIDERMON_SMTP_ENFORCE_TLS", "1") not in ("0", "false", "")
SPIDERMON_EMAIL_SENDER = os.environ.get("SPIDERMON_EMAIL_SENDER", "newscrawl@localhost")
SPIDERMON_EMAIL_TO = os.environ.get("SPIDERMON_EMAIL_TO", "")
# An HTML report of the monitors after every run, next to the job's log (<log>.html) or the store.
NEWSCRAWL_ALERT_REPORT = os.environ.get("NEWSCRAWL_ALERT_REPORT", "") not in ("", "0", "false", "False")
