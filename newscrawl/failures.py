"""Why a request failed after its retries, in one short word: the reason the spider's errbacks count
(``newscrawl/failed/<reason>``), log and hand to the ledger, which owes the page to the next run.

>>> from twisted.python.failure import Failure
>>> from scrapy.exceptions import DownloadTimeoutError
>>> failure_reason(Failure(DownloadTimeoutError("took too long")))
('timeout', None)
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectError,
    ConnectionDone,
    ConnectionLost,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived
from twisted.web.http import _DataLoss

from newscrawl.middlewares import EmptyBody
from newscrawl.render import SPLASH_TIMEOUT

# Scrapy's HTTP handler raises its own exceptions for these (Scrapy >= 2.15); the Twisted ones remain for
# the failures it does not wrap (other connect errors) and for what newscrawl/render/ raises for Splash.
NETWORK_ERRORS = (
    DNSLookupError,
    ConnectError,
    TCPTimedOutError,
    TimeoutError,
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)


def failure_reason(failure: Failure) -> tuple[str, int | None]:
    """A short reason for a request that failed after retries, and its HTTP status if it had one."""
    if isinstance(failure.value, HttpError):
        status = failure.value.response.status
        return ("http_5xx" if 500 <= status < 600 else f"http_{status}"), status
    if failure.check(EmptyBody):
        return "empty_body", None
    if failure.check(IgnoreRequest):
        message = str(failure.value)
        if message.startswith(SPLASH_TIMEOUT):
            return "splash_timeout", None
        if "max redirections" in message:
            return "redirect_loop", None
        if failure.request.meta.get("redirect_urls"):  # type: ignore[attr-defined]
            return "offsite_redirect", None
        return ("blocked" if "(blocked)" in message else "ignored"), None
    if failure.check(CancelledError, DownloadCancelledError):  # DOWNLOAD_MAXSIZE
        return "too_large", None
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timeout", None
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "dns", None
    if failure.check(ConnectError, DownloadConnectionRefusedError):
        return "connect", None
    if failure.check(ResponseDataLossError) or (
        failure.check(ResponseFailed, DownloadFailedError)
        and any(reason.check(_DataLoss) for reason in _response_failed_reasons(failure.value))
    ):
        return "truncated", None
    if failure.check(
        ResponseFailed, ResponseNeverReceived, ConnectionLost, ConnectionDone, DownloadFailedError
    ):
        return "reset", None
    return type(failure.value).__name__.lower(), None


def _response_failed_reasons(error: BaseException | None) -> list[Failure]:
    """The reasons of a Twisted ResponseFailed, also when Scrapy wrapped it in a DownloadFailedError."""
    if isinstance(error, DownloadFailedError):
        error = error.__cause__
    return list(getattr(error, "reasons", []))
