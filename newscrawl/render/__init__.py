"""Render pages through a Splash server (scrapy-splash), for pages whose content is built by JavaScript.

Modes (``-a render=...`` or the setting ``NEWSCRAWL_RENDER``; the argument wins):

- ``plain`` (default): plain HTTP requests, no Splash anywhere;
- ``splash``: every page request (home, listings, their batches, articles) is rendered by Splash;
- ``auto``: plain first; a first listing page without a card or an article without a body is asked
  again through Splash, once.

Splash is reached at ``SPLASH_URL`` (the setting, else the environment, else ``http://127.0.0.1:8050``).
``make splash`` (``tools/splash.sh start``) starts a local one.

Components, switched on by :class:`RenderAddon` (``addon.py``, in ``ADDONS``) only when the mode is
not ``plain``:

- scrapy-splash as its README sets it up for Scrapy >= 2.7: ``SplashCookiesMiddleware`` (723),
  ``SplashMiddleware`` (725), ``HttpCompressionMiddleware`` moved to 810, the spider middleware
  ``SplashDeduplicateArgsMiddleware`` (100) and ``SplashRequestFingerprinter``;
- ``requests.py``: the render mode, the spider's :class:`Renderer`, and :class:`RenderRequestMiddleware`
  (724), which lets the Splash host through the offsite filter and keeps proxies set for the site away
  from the loopback Splash;
- ``answers.py``: the ``render.json`` wire format, :class:`RenderResponseMiddleware` (700), which turns
  Splash's answer into the page as the site sent it: the target's URL, its real HTTP status (from
  ``history``) and the rendered HTML, so retries, the blocked-burst middleware, ``HttpErrorMiddleware``
  and the spider's errbacks see a 404, 403 or 429 exactly as for a plain request (a render that failed
  on a network error becomes the same error a plain request would raise); and
  :class:`RenderFailureMiddleware` (540, after RetryMiddleware): a render still timing out after its
  retries is logged with its URL and counted in ``newscrawl/failed/splash_timeout``; Splash refusing
  connections closes the spider (reason ``splash_unavailable``) with the sentence that says how to
  start it.

Requests use ``render.json`` with ``html=1`` and ``history=1`` (``render.html`` answers 200 for a 404
page), ``images=0``, a global ``timeout`` and ``allowed_domains`` set to the spider's domains: an embed
from another host (a YouTube iframe, which fails offline, splash#699) is not loaded. Splash's
``resource_timeout`` is not used: with it, Splash 3.5 leaves the status out of ``history``.

Under replay (newscrawl/replay/), a render request is answered from the snapshot by its target URL in
the shape of ``render.json`` (:func:`rendered_json`), so render mode runs offline without a server; record
mode stores a rendered page under its target URL (:func:`rendered_page`).
"""

from __future__ import annotations

from newscrawl.exceptions import RenderSettingsError
from newscrawl.render.addon import RenderAddon, check_splash, ping
from newscrawl.render.answers import (
    RenderFailureMiddleware,
    RenderResponseMiddleware,
    rendered_json,
    rendered_page,
)
from newscrawl.render.requests import (
    DEFAULT_SPLASH_URL,
    ENDPOINT,
    MODES,
    PAGE_URL,
    SPLASH_TIMEOUT,
    START_HINT,
    Renderer,
    RenderRequestMiddleware,
    is_render,
    origin_url,
    page_url,
    parse_mode,
    setting_mode,
    splash_url,
)

__all__ = [
    "DEFAULT_SPLASH_URL",
    "ENDPOINT",
    "MODES",
    "PAGE_URL",
    "SPLASH_TIMEOUT",
    "START_HINT",
    "RenderAddon",
    "RenderFailureMiddleware",
    "RenderRequestMiddleware",
    "RenderResponseMiddleware",
    "RenderSettingsError",
    "Renderer",
    "check_splash",
    "is_render",
    "origin_url",
    "page_url",
    "parse_mode",
    "ping",
    "rendered_json",
    "rendered_page",
    "setting_mode",
    "splash_url",
]
