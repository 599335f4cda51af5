"""HTML extraction: trafilatura against the hand-written stripping, on the seed and BBC articles set in pages.

    python -m bench.extract [--articles 300]

Neither the seed nor the shared BBC set comes as HTML (the seed is plain text, the BBC set clean
text in JSON lines), so each reference text is set into three kinds of news page, with the
boilerplate real pages carry: navigation, breadcrumbs, share buttons, a cookie notice, related and
most-read links (titles of other BBC articles), a newsletter form, reader comments, a footer.
  - semantic: HTML5 <header>/<nav>/<article>/<aside>/<footer>, Open Graph tags, <time>;
  - divs: the same page in <div class="..."> only, the date in the text;
  - table: a 2005-style table layout (the BBC's own of the time): nav column, <font>, no <article>.
Each extractor's text, through the loader's own post splitting and boilerplate filter, is compared
with the reference: word precision and recall (bags of lowercase words), boilerplate items kept (an
item kept when its words appear in order), title and date right, and milliseconds a page.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from index.documents import _article, load_corpus
from index.html import Page, extracted, parse_page, stripped

from .common import SEED, table, write_json
from .freshness import NEWS

WORD = re.compile(r"\w+")
SITE = "The Daily Record"
NAV = ["Home", "News", "Sport", "Business", "Politics", "Technology", "Entertainment", "Weather", "Video"]
COOKIE = ("We use cookies to give you the best online experience. By continuing to browse the site "
          "you agree to our use of cookies. Find out more about cookies and how to manage them.")
NEWSLETTER = "Get the morning briefing delivered to your inbox every weekday. Sign up for our newsletter."
SHARE = "Share this story: Facebook Twitter Email Copy link"
FOOTER = (f"Copyright 2005 {SITE}. {SITE} is not responsible for the content of external internet sites. "
          "Read about our approach to external linking. Terms of use. Privacy policy. Contact us.")
COMMENTS = ["Posted by Janet, Leeds: I have been saying this for years and nobody listens to us.",
            "Posted by Tom, Cardiff: Another excellent piece, thank you for covering it properly."]


def references(articles: int, seed: int) -> list[dict]:
    """The seed page, then a sample of BBC articles: title, section, body blocks, date."""
    page = load_corpus(SEED.parent, max_file_bytes=10**7).articles
    seed_article = next(a for a in page if a.file == SEED.name)
    blocks = []
    for i, post in enumerate(seed_article.posts):
        if i or post.headline != seed_article.title:
            blocks.append(("h2", post.headline))
        blocks += [("p", p) for p in post.text.split("\n\n")]
    refs = [{"title": seed_article.title, "section": "World", "blocks": blocks, "kind": "seed"}]
    with gzip.open(NEWS, "rt", encoding="utf-8") as handle:
        bbc = [json.loads(line) for line in handle]
    rng = random.Random(seed)
    for record in rng.sample(bbc, min(articles, len(bbc))):
        paragraphs = [line.strip() for line in record["text"].splitlines() if line.strip()]
        refs.append({"title": record["title"], "section": record["id"].split("-")[1].title(),
                     "blocks": [("p", p) for p in paragraphs], "kind": "bbc"})
    day = datetime(2005, 1, 3, 9, 30, tzinfo=UTC)
    for i, ref in enumerate(refs):  # the BBC set has no dates: each page gets one, to be found
        ref["published"] = day + timedelta(days=i % 300, minutes=7 * i)
        others = rng.sample(bbc, 10)
        ref["related"] = [o["title"] for o in others[:5]]
        ref["most_read"] = [o["title"] for o in others[5:]]
    return refs


def boilerplate(ref: dict) -> list[str]:
    return [" ".join(NAV), COOKIE, NEWSLETTER, SHARE, FOOTER, *COMMENTS, *ref["related"], *ref["most_read"]]


def _body(ref: dict, para: str, head: str) -> str:
    e = html.escape
    return "".join(f"<{head}>{e(t)}</{head}>" if tag == "h2" else f"<{para}>{e(t)}</{para}>"
                   for tag, t in ref["blocks"])


def _links(titles: list[str], path: str = "news") -> str:
    return "".join(f'<li><a href="/{path}/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(titles))


def _nav() -> str:
    return "".join(f'<li><a href="/{n}">{n}</a></li>' for n in NAV)


def semantic(ref: dict) -> str:
    e, when = html.escape, ref["published"]
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<title>{e(ref["title"])} | {SITE}</title><meta property="og:title" content="{e(ref["title"])}">'
            f'<meta property="og:site_name" content="{SITE}">'
            f'<meta property="article:published_time" content="{when.isoformat()}">'
            f'<script>window.dataLayer = [{{"page": "article"}}];</script><style>body{{margin:0}}</style>'
            f'</head><body><div id="cookie-banner"><p>{COOKIE}</p><button>Accept</button></div>'
            f'<header><a href="/">{SITE}</a><nav><ul>{_nav()}</ul></nav></header><main><article>'
            f'<h1>{e(ref["title"])}</h1><p class="byline"><time datetime="{when.isoformat()}">'
            f'{when:%d %B %Y}</time></p>{_body(ref, "p", "h2")}<div class="share"><p>{SHARE}</p></div>'
            f'</article><aside><h2>Related stories</h2><ul>{_links(ref["related"])}</ul></aside>'
            f'<section class="comments"><h2>Comments</h2>{"".join(f"<p>{c}</p>" for c in COMMENTS)}'
            f'</section><aside><h2>Most read</h2><ol>{_links(ref["most_read"])}</ol></aside></main>'
            f'<form><p>{NEWSLETTER}</p><input type="email"></form><footer><p>{FOOTER}</p></footer>'
            f'</body></html>')


def divs(ref: dict) -> str:
    e, when = html.escape, ref["published"]
    return (f'<html><head><title>{e(ref["title"])} - {SITE}</title><script>var ads = 1;</script></head>'
            f'<body><div class="cookie"><p>{COOKIE}</p></div><div class="top"><div class="logo">{SITE}</div>'
            f'<ul class="menu">{_nav()}</ul></div><div class="crumbs"><a href="/">Home</a> &gt; '
            f'<a href="/{ref["section"]}">{ref["section"]}</a></div><div class="story">'
            f'<div class="headline">{e(ref["title"])}</div><div class="date">{when:%d %B %Y, %H:%M} GMT</div>'
            f'<div class="story-body">{_body(ref, "p", "h2")}</div><p class="share">{SHARE}</p></div>'
            f'<div class="related"><h3>Related stories</h3><ul>{_links(ref["related"])}</ul></div>'
            f'<div class="comments">{"".join(f"<p class=comment>{c}</p>" for c in COMMENTS)}</div>'
            f'<div class="most-read"><h3>Most read</h3><ul>{_links(ref["most_read"], "m")}</ul></div>'
            f'<div class="signup"><p>{NEWSLETTER}</p></div><div class="footer"><p>{FOOTER}</p></div>'
            f'</body></html>')


def tables(ref: dict) -> str:
    e, when = html.escape, ref["published"]
    nav = "".join(f'<a href="/{n}">{n}</a><br>' for n in NAV)
    links = "".join(f'<a href="/n/{i}">{e(t)}</a><br>' for i, t in enumerate(ref["related"]))
    most = "".join(f'<a href="/m/{i}">{e(t)}</a><br>' for i, t in enumerate(ref["most_read"]))
    return (f'<html><head><title>{SITE} | {ref["section"]} | {e(ref["title"])}</title></head><body>'
            f'<table width="100%"><tr><td colspan="3"><font size="1">{COOKIE}</font></td></tr><tr>'
            f'<td width="120" valign="top"><font size="2">{nav}</font></td><td valign="top">'
            f'<font size="1">Last Updated: {when:%A, %d %B, %Y, %H:%M} GMT</font><br>'
            f'<font size="5"><b>{e(ref["title"])}</b></font><br>{_body(ref, "p", "p")}'
            f'<font size="1">{SHARE}</font><br><table><tr><td><b>Your comments</b><br>'
            f'{"<br>".join(COMMENTS)}</td></tr></table></td>'
            f'<td width="200" valign="top"><b>Related stories</b><br>{links}<b>Most read</b><br>{most}'
            f'<br>{NEWSLETTER}</td></tr><tr><td colspan="3"><font size="1">{FOOTER}</font></td></tr>'
            f'</table></body></html>')


TEMPLATES = {"semantic": semantic, "divs": divs, "table": tables}
EXTRACTORS: dict[str, Callable[[str], Page | None]] = {
    "hand-written": stripped, "trafilatura": extracted, "trafilatura, else hand-written": parse_page}


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def loaded_text(page: Page | None) -> tuple[str, str | None, int | None, list[str]]:
    """The page through the loader (boilerplate lines dropped, posts split): text, title, time, headlines."""
    if page is None or not page.blocks:
        return "", page.title if page else None, None, []
    article = _article("page.html", "page.html", page.meta, page.title, page.blocks)
    parts = []
    for post in article.posts:
        if post.headline and post.headline != article.title:
            parts.append(post.headline)
        parts.append(post.text)
    heads = [p.headline for p in article.posts if p.post_id != "page.html#lead"]
    return "\n".join(parts), article.title, article.published, heads


def kept(item: str, text_words: str) -> bool:
    return f" {' '.join(words(item))} " in text_words


def score(ref: dict, template: str, extractor: Callable[[str], Page | None]) -> dict:
    page_html = TEMPLATES[template](ref)
    started = time.perf_counter()
    page = extractor(page_html)
    ms = (time.perf_counter() - started) * 1000
    text, title, published, heads = loaded_text(page)
    got, want = Counter(words(text)), Counter(w for _, t in ref["blocks"] for w in words(t))
    common = sum((got & want).values())
    joined = f" {' '.join(words(text))} "
    day = datetime.fromtimestamp(published, UTC).date() if published is not None else None
    items = boilerplate(ref)
    return {"precision": common / sum(got.values()) if got else 0.0, "recall": common / sum(want.values()),
            "boilerplate": sum(kept(b, joined) for b in items) / len(items), "empty": not got,
            "posts": heads == [t for tag, t in ref["blocks"] if tag == "h2"],
            "title": title == ref["title"], "date": day == ref["published"].date(), "ms": ms}


def run(articles: int, seed: int) -> dict:
    refs = references(articles, seed)
    for extractor in EXTRACTORS.values():  # imports and first-call set-up are not a page's cost
        extractor(semantic(refs[0]))
    rows = []
    for template in TEMPLATES:
        for kind in ("seed", "bbc"):
            chosen = [r for r in refs if r["kind"] == kind]
            for name, extractor in EXTRACTORS.items():
                scores = [score(r, template, extractor) for r in chosen]
                rows.append({"pages": f"{kind} ({len(chosen)}), {template}", "extractor": name,
                             **{k: statistics.mean(s[k] for s in scores) for k in scores[0]}})
    return {"articles": articles, "seed": seed, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extract", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300, help="BBC articles sampled (of 2,225)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = run(args.articles, args.seed)
    print(table(["pages", "extractor", "word precision", "word recall", "boilerplate items kept",
                 "nothing extracted", "posts split right", "title right", "date right", "ms a page"],
                [[r["pages"], r["extractor"], f"{r['precision']:.3f}", f"{r['recall']:.3f}",
                  f"{r['boilerplate']:.1%}", f"{r['empty']:.0%}", f"{r['posts']:.0%}", f"{r['title']:.0%}",
                  f"{r['date']:.0%}", f"{r['ms']:.1f}"] for r in result["rows"]]))
    print(f"written: {write_json('extract', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
