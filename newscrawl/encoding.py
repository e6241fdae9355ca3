"""Decoding pages whose charset nobody declared, read as HTML whatever their Content-Type says."""

from __future__ import annotations

from charset_normalizer import from_bytes
from scrapy.http import HtmlResponse, Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom


def decoded(response: Response) -> TextResponse:
    """The response as an HTML page in its real encoding.

    Scrapy falls back to cp1252 for a page that declares no charset (header, ``<meta>`` or BOM) and is not
    UTF-8, which turns a windows-1251 Russian page into mojibake; such a page is decoded by detection.

    >>> body = "<p>Министр торговли прибыл в Вашингтон для обсуждения торговых пошлин</p>".encode("cp1251")
    >>> decoded(Response("https://report.az/ru/x", body=body, headers={"Content-Type": "text/html"})).css(
    ...     "p::text").get()[:7]
    'Министр'
    >>> decoded(TextResponse("https://report.az/x", body=b"<p>ok</p>", encoding="utf-8")).encoding
    'utf-8'

    A page served as JSON or plain text is still read as HTML: since Scrapy 2.18 the selector of a
    response that is not an HtmlResponse takes its type from the body, and a JSON one cannot run CSS.

    >>> json = TextResponse("https://report.az/x", body=b'{"error": 1}', encoding="utf-8")
    >>> decoded(json).css("h1").getall()
    []
    """
    if not isinstance(response, TextResponse):
        # An empty infinite-scroll batch may come without a Content-Type that marks it as text.
        response = HtmlResponse(
            url=response.url, body=response.body, request=response.request, encoding="utf-8"
        )
        return response if _is_utf8(response.body) else response.replace(encoding=_detect(response.body))
    if not isinstance(response, HtmlResponse):
        response = response.replace(cls=HtmlResponse)
    content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
    declared = (
        http_content_type_encoding(content_type)
        or read_bom(response.body)[0]
        or html_body_declared_encoding(response.body)
    )
    if declared or _is_utf8(response.body):
        return response
    return response.replace(encoding=_detect(response.body))


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(body: bytes) -> str:
    best = from_bytes(body).best()
    return best.encoding if best is not None else "utf-8"
