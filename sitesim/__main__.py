"""``python -m sitesim --articles 10000 --seed 1 --port 0``: serve a simulated report.az.

Prints the URL it listens on (``http://127.0.0.1:PORT``) as its first line, then serves until SIGTERM or
Ctrl-C. Crawl it with ``NEWSCRAWL_ORIGIN=<that URL>``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from .options import OptionsError, build_site, parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        site = build_site(args)
    except OptionsError as error:
        print(f"sitesim: {error}", file=sys.stderr)
        return 2
    from twisted.internet import reactor as global_reactor
    from twisted.web.server import Site as WebSite

    from .server import SiteResource

    factory = WebSite(SiteResource(site))
    factory.log = lambda request: None  # type: ignore[method-assign]  # an access log would dominate
    reactor: Any = global_reactor  # typed with zope interfaces, which mypy cannot read
    port = reactor.listenTCP(args.port, factory, interface=args.host)
    print(f"http://{args.host}:{port.getHost().port}", flush=True)
    if args.exit_with_parent:
        from twisted.internet.task import LoopingCall

        parent = os.getppid()

        def check_parent() -> None:
            # Orphaned (the test or benchmark that started it was killed): nobody will stop it.
            if os.getppid() != parent:
                reactor.stop()

        LoopingCall(check_parent).start(1.0, now=False)
    reactor.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
