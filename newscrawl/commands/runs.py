"""``scrapy runs``: the last crawls recorded in the store, one line each (newscrawl/runreport.py)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl import runreport
from newscrawl.addon import store_path
from newscrawl.exceptions import StoreError
from newscrawl.store import recent_runs
from newscrawl.store.runs import history_lines

if TYPE_CHECKING:
    import argparse

DEFAULT_LAST = 10


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}  # noqa: RUF012 (Scrapy's own commands declare it so)

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Show the last crawls recorded in the store: outcome, duration and counts"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-n",
            "--last",
            metavar="N",
            default=str(DEFAULT_LAST),
            help=f"how many runs to show, the newest last (default: {DEFAULT_LAST})",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(
                f"scrapy runs takes no arguments (got {' '.join(args)}); use -n N", print_help=False
            )
        try:
            last = int(opts.last)
        except ValueError:
            last = 0
        if last < 1:
            raise UsageError(
                f"-n must be a whole number of at least 1 (got {opts.last!r}), e.g. -n 20", print_help=False
            )
        try:
            assert self.settings is not None  # set by scrapy.cmdline
            runs = recent_runs(store_path(self.settings), last)
        except StoreError as exc:
            print(f"scrapy runs: error: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(runreport.table(reversed(runs)))
        for line in history_lines(store_path(self.settings)):
            print(line)
