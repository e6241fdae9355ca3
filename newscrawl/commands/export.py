"""``scrapy export [DIR]``: write a dataset directory from the store (``newscrawl.export``).

Bad input ends with one sentence on stderr and a non-zero exit: 2 for a wrong option, 1 when the store or
the directory cannot be used.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options] [DIR]"

    def short_desc(self) -> str:
        return "Export the store as a dataset (Parquet, JSON Lines or CSV) with its card"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        group = parser.add_argument_group("export options")
        group.add_argument("--format", default="parquet", help="parquet, jsonl or csv (default parquet)")
        group.add_argument("--gzip", action="store_true", help="gzip the jsonl or csv part files")
        group.add_argument("--since", help="first publication day, YYYY-MM-DD (Baku time)")
        group.add_argument("--until", help="last publication day, YYYY-MM-DD (Baku time)")
        group.add_argument("--lang", help="comma list of az, en, ru (default all)")
        group.add_argument("--category", help="comma list of category slugs (default all)")
        group.add_argument(
            "--incremental", action="store_true", help="write only what changed since the last export"
        )
        group.add_argument("--store", help="SQLite store to read (default NEWSCRAWL_SQLITE)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Imported here: Scrapy imports every command module on every `scrapy` call, crawls included.
        from newscrawl.export import (
            COLLECTION_SETTINGS,
            FORMATS,
            ExportError,
            export_dataset,
            parse_selection,
        )

        assert self.settings is not None  # set by scrapy.cmdline
        if len(args) > 1:
            self._fail(2, f"give at most one output directory (got {len(args)}: {' '.join(args)})")
            return
        output = (
            args[0] if args else os.path.join(self.settings.get("NEWSCRAWL_DATA_DIR") or "data", "dataset")
        )
        store = opts.store or self.settings.get("NEWSCRAWL_SQLITE") or "data/newscrawl.sqlite3"
        try:
            selection = parse_selection(opts.since, opts.until, opts.lang, opts.category)
            if opts.format not in FORMATS:
                raise ExportError(f"--format must be one of {', '.join(FORMATS)} (got {opts.format!r})")
        except ExportError as exc:
            self._fail(2, str(exc))
            return
        try:
            result = export_dataset(
                store,
                output,
                fmt=opts.format,
                gzipped=opts.gzip,
                selection=selection,
                incremental=opts.incremental,
                settings={name: self.settings.get(name) for name in COLLECTION_SETTINGS},
            )
        except ExportError as exc:
            self._fail(1, str(exc))
            return
        print(f"exported {store} to {result.root}")
        print(result.summary())

    def _fail(self, code: int, message: str) -> None:
        print(f"scrapy export: error: {message}", file=sys.stderr)
        self.exitcode = code
