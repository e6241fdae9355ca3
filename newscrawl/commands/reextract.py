"""``scrapy reextract <warc dir or files> [--store PATH] [--jobs N]``: every article page of a WARC archive
parsed again with the current parser and stored (newscrawl/warc/reextract.py). Nothing is requested from
the network: the pages come from the archive only."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.addon import store_path
from newscrawl.exceptions import StoreError
from newscrawl.runlock import hold
from newscrawl.store import Store
from newscrawl.warc.reextract import articles_jsonl, reextract, sources

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 (Scrapy's own commands declare it so)

    def syntax(self) -> str:
        return "<warc dir or files> [options]"

    def short_desc(self) -> str:
        return "Parse every article page of a WARC archive again and store what changed (no network)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--store",
            metavar="PATH",
            default=None,
            help="the SQLite store to update (default: NEWSCRAWL_SQLITE, else <data dir>/newscrawl.sqlite3)",
        )
        parser.add_argument(
            "--jobs",
            metavar="N",
            default="1",
            help="parse in N processes (default 1; the store is written by one)",
        )
        parser.add_argument(
            "--jsonl",
            metavar="PATH",
            default=None,
            help="append new versions to this articles JSON Lines file (default: the one the store keeps "
            "offsets for, if any)",
        )
        parser.add_argument("--no-jsonl", action="store_true", help="write no JSON Lines, only the store")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("name the WARC files or directories to re-extract", print_help=False)
        try:
            jobs = int(opts.jobs)
        except ValueError:
            jobs = 0
        if jobs < 1:
            raise UsageError(
                f"--jobs must be a whole number of at least 1 (got {opts.jobs!r})", print_help=False
            )
        try:
            files = sources(args)
        except ValueError as exc:
            print(f"scrapy reextract: error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        assert self.settings is not None  # set by scrapy.cmdline
        path = opts.store or store_path(self.settings)
        try:
            lock = hold(path)  # no crawl writes to the store meanwhile
            store = Store.open(path)
        except StoreError as exc:
            print(f"scrapy reextract: error: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        jsonl = None if opts.no_jsonl else (Path(opts.jsonl) if opts.jsonl else articles_jsonl(store))
        try:
            summary = reextract(files, store, jobs=jobs, jsonl=jsonl)
        finally:
            store.close()
            os.close(lock)
        print(f"reextract: {len(files)} WARC file(s) into {path}" + (f" and {jsonl}" if jsonl else ""))
        for line in summary.lines():
            print(f"  {line}")
