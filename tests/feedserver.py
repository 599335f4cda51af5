"""A news site on 127.0.0.1 (aiohttp): Atom and RSS feeds, a live page that gains posts, and faults."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from email.utils import formatdate
from html import escape

from aiohttp import web

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire Atom</title><id>urn:wire</id>
<updated>2025-03-02T12:00:00Z</updated>{entries}</feed>"""
ATOM_ENTRY = """<entry><title>{title}</title><id>urn:wire:{n}</id><link href="{base}/story/{n}"/>
<published>2025-03-02T{n:02d}:00:00Z</published><updated>2025-03-02T{n:02d}:00:00Z</updated>
<summary type="html">&lt;p&gt;{text}&lt;/p&gt;</summary></entry>"""
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire RSS</title>
<link>{base}/</link><description>News</description>{items}</channel></rss>"""
RSS_ITEM = """<item><title>{title}</title><link>{base}/rss/{n}</link><guid>{base}/rss/{n}</guid>
<pubDate>Sun, 02 Mar 2025 {n:02d}:30:00 GMT</pubDate><description>{text}</description></item>"""
PAGE = """<!doctype html><html><head><title>{title} | Wire</title>
<meta property="og:site_name" content="Wire"><meta name="author" content="Desk Editor">
<meta property="article:published_time" content="2025-03-02T08:00:00Z"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1>{posts}</article>
<footer><p>Copyright Wire 2025. All rights reserved.</p></footer></body></html>"""
EMPTY_PAGE = ("<!doctype html><html><head><title>Nothing</title></head>"
              "<body><nav><a href='/'>Home</a></nav></body></html>")


class NewsSite:
    """Mutable content (`posts`, `entries`) served with ETag and Last-Modified; hits counted per path."""

    def __init__(self) -> None:
        self.title = "Ferry strike live"
        self.posts: list[tuple[str, str]] = []  # (headline, text), newest first
        self.entries: list[tuple[str, str]] = []  # (title, text) for both feeds
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.slow_s = 5.0
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        for path, handler in (("/atom.xml", self.atom), ("/rss.xml", self.rss), ("/live", self.live),
                              ("/missing", self.missing), ("/broken", self.broken), ("/slow", self.slow),
                              ("/huge", self.huge), ("/loop/{n}", self.loop), ("/image", self.image),
                              ("/empty", self.empty), ("/garbage", self.garbage)):
            app.router.add_get(path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self.base

    async def stop(self) -> None:
        await self._runner.cleanup()

    def _conditional(self, request: web.Request, body: str, kind: str) -> web.Response:
        """200 with validators, or 304 when the client's ETag still matches."""
        self.hits[request.path] += 1
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified[request.path] += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=body, content_type=kind,
                            headers={"ETag": etag, "Last-Modified": formatdate(usegmt=True)})

    async def atom(self, request: web.Request) -> web.Response:
        entries = "".join(ATOM_ENTRY.format(title=escape(t), text=escape(x), n=n, base=self.base)
                          for n, (t, x) in enumerate(self.entries, 1))
        return self._conditional(request, ATOM.format(entries=entries), "application/atom+xml")

    async def rss(self, request: web.Request) -> web.Response:
        items = "".join(RSS_ITEM.format(title=escape(t), text=escape(x), n=n, base=self.base)
                        for n, (t, x) in enumerate(self.entries, 1))
        return self._conditional(request, RSS.format(items=items, base=self.base), "application/rss+xml")

    def page_html(self) -> str:
        posts = "".join(f"<h2>{escape(h)}</h2><p>{escape(t)}</p>" for h, t in self.posts)
        return PAGE.format(title=escape(self.title), posts=posts)

    async def live(self, request: web.Request) -> web.Response:
        return self._conditional(request, self.page_html(), "text/html")

    async def missing(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        return web.Response(status=404, text="not here")

    async def broken(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        return web.Response(status=500, text="oops")

    async def slow(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        await asyncio.sleep(self.slow_s)
        return web.Response(text="<rss/>", content_type="application/rss+xml")

    async def huge(self, request: web.Request) -> web.StreamResponse:
        """50 MB of HTML, chunked (no Content-Length), as a runaway page would send."""
        self.hits[request.path] += 1
        reply = web.StreamResponse(headers={"Content-Type": "text/html"})
        await reply.prepare(request)
        block = b"<p>" + b"x" * 65_530 + b"</p>\n"
        try:
            for _ in range(50_000_000 // len(block)):
                await reply.write(block)
        except (ConnectionResetError, ConnectionError):
            pass  # the client stopped reading at its cap
        return reply

    async def loop(self, request: web.Request) -> web.Response:
        self.hits["/loop"] += 1
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"/loop/{1 - n}")

    async def image(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png")

    async def empty(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        return web.Response(text=EMPTY_PAGE, content_type="text/html")

    async def garbage(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        return web.Response(body=bytes(range(256)) * 20, content_type="application/rss+xml")
