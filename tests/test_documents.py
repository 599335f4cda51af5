"""The loader: boilerplate, posts and headlines, formats, broken files, stable ids."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from index.documents import load_corpus, parse_date
from index.posts import Block, split_posts

from .conftest import SEED

SEED_HEADLINES = [
    "Moscow seeking stability in Kazakhstan: Analyst",
    "Tokayev determined to ‘wipe out opposition’",
    "West must stand up to Russia in Kazakhstan, dissident says",
    "Heavy gunfire in Almaty overnight: Video",
    "Kuwait asks its citizens in Kazakhstan to leave the country",
    "Tokayev orders forces to open fire without warning",
    "‘Ordinary life has come to a standstill’",
    "Kazakh president says order ‘mostly restored’",
    "Dozens killed amid unrest: Interior ministry",
    "Russian units flying in ’round the clock’",
]


def test_seed_is_split_into_its_posts_with_headlines(seed_corpus: Path) -> None:
    result = load_corpus(seed_corpus)
    assert result.problems == []
    [article] = result.articles
    assert article.title == "Kazakh leader tells troops to shoot without warning: Live updates"
    assert [p.headline for p in article.posts[1:]] == SEED_HEADLINES
    lead = article.posts[0]
    assert lead.headline == article.title
    assert lead.text.startswith("Kazakhstan’s president has ordered security forces")
    assert "Here are all the latest updates:" in lead.text
    # Unknown metadata stays unknown.
    assert (article.source, article.url, article.published) == (None, None, None)


def test_seed_boilerplate_is_gone_and_caption_stays_as_text(seed_corpus: Path) -> None:
    [article] = load_corpus(seed_corpus).articles
    everything = "\n".join(f"{p.headline}\n{p.text}" for p in article.posts)
    for junk in ("Source link", "Show More", "Related Articles", "Leave a Reply",
                 "Back to top button", "Your email address will not be published"):
        assert junk not in everything
    caption = "Energy-rich Kazakhstan was long seen as one of the most stable"
    assert all(not p.headline.startswith(caption) for p in article.posts)
    fire = next(p for p in article.posts if p.headline.startswith("Tokayev orders forces"))
    assert caption in fire.text
    assert article.posts[-1].text.endswith("Kazakh security personnel had removed them.")


def test_ids_are_stable_and_derived_from_the_source(seed_corpus: Path, tmp_path: Path) -> None:
    first = load_corpus(seed_corpus).articles[0]
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / SEED.name).write_bytes(SEED.read_bytes())
    second = load_corpus(other).articles[0]
    assert [p.post_id for p in first.posts] == [p.post_id for p in second.posts]
    assert first.fingerprint == second.fingerprint
    expected = "kazakhstan-live-updates.txt#moscow-seeking-stability-in-kazakhstan-analyst"
    assert first.posts[1].post_id == expected
    assert len({p.post_id for p in first.posts}) == len(first.posts)


def test_each_format_parses(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text(
        "---\ntitle: Floods close the bridge\nsource: Local Courier\n"
        "url: https://example.org/floods\npublished: 2024-03-02T08:30:00Z\n---\n"
        "The river rose two metres overnight and the old bridge was closed.\n", encoding="utf-8")
    (tmp_path / "page.md").write_text(
        "# Election night live\n\nPolls closed at 8pm.\n\n## Turnout is high\n\n"
        "Officials said turnout passed 70 percent.\n\n## Count begins\n\n"
        "Counting began in [all districts](https://x.org) at once.\n", encoding="utf-8")
    (tmp_path / "story.html").write_text(
        "<html><head><title>Port strike ends | The Gazette</title>"
        "<meta property='og:site_name' content='The Gazette'>"
        "<link rel='canonical' href='https://gazette.example/strike'>"
        "<meta property='article:published_time' content='2023-05-01T10:00:00+00:00'>"
        "<script>var x = 'not text';</script></head><body><nav>Home | World</nav>"
        "<article><h1>Port strike ends</h1><p>Dock workers accepted a 6% raise.</p>"
        "<aside>Related Articles</aside><p>Ships began unloading on Monday.</p></article>"
        "<footer>Back to top</footer></body></html>", encoding="utf-8")
    rows = [{"id": "n-1", "title": "Rates held", "date": "2022/01/07", "url": "https://n.example/1",
             "text": "The central bank held rates at 5%.\n\nMarkets were calm."}]
    (tmp_path / "dump.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with gzip.open(tmp_path / "more.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "n-2", "title": "Snow", "text": "Snow fell in the hills."}))

    result = load_corpus(tmp_path)
    assert result.problems == []
    by_id = {a.article_id: a for a in result.articles}
    note = by_id["note.txt"]
    assert (note.title, note.source, note.url) == (
        "Floods close the bridge", "Local Courier", "https://example.org/floods")
    assert note.published == parse_date("2024-03-02T08:30:00+00:00")
    page = by_id["page.md"]
    assert page.title == "Election night live"
    assert [p.headline for p in page.posts] == ["Election night live", "Turnout is high", "Count begins"]
    assert page.posts[2].text == "Counting began in all districts at once."
    story = by_id["story.html"]
    assert (story.title, story.source, story.url) == (
        "Port strike ends", "The Gazette", "https://gazette.example/strike")
    assert story.posts[0].text == "Dock workers accepted a 6% raise.\n\nShips began unloading on Monday."
    assert story.published == parse_date("2023-05-01T10:00:00+00:00")
    assert by_id["n-1"].published == parse_date("2022-01-07") and by_id["n-1"].url == "https://n.example/1"
    assert by_id["n-2"].published is None and by_id["n-2"].posts[0].text == "Snow fell in the hills."


def test_broken_files_are_reported_by_name_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A fine article about the harbour reopening.\n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 owners protest".encode("latin-1"))
    (tmp_path / "bad-front.md").write_text("---\ntitle: [unclosed\n---\nBody text here.\n", encoding="utf-8")
    (tmp_path / "empty.html").write_text("<html><body><nav>Menu</nav></body></html>", encoding="utf-8")
    (tmp_path / "mixed.jsonl").write_text(
        '{"id": "ok-1", "text": "Kept line."}\nnot json\n{"id": "no-text"}\n', encoding="utf-8")
    (tmp_path / "truncated.jsonl.gz").write_bytes(gzip.compress(b'{"id": "t", "text": "x"}\n')[:20])

    result = load_corpus(tmp_path)
    ids = sorted(a.article_id for a in result.articles)
    assert ids == ["good.txt", "ok-1"]
    problems = "\n".join(result.problems)
    for name in ("latin1.txt", "bad-front.md", "empty.html", "mixed.jsonl:2", "mixed.jsonl:3",
                 "truncated.jsonl.gz"):
        assert name in problems, name


def test_post_ids_stay_unique_when_a_headline_looks_like_a_numbered_repeat() -> None:
    # Found in the news corpus: "Wyoming", "Wyoming", "Wyoming (2)" gave "wyoming-2" twice,
    # and Chroma refused the whole batch.
    blocks = []
    for headline in ["Wyoming", "Wyoming", "Wyoming (2)", "Utah"]:
        blocks += [Block(headline, heading=True), Block(f"Results for {headline}.", heading=False)]
    slugs = [slug for slug, _, _ in split_posts(blocks, "Primary results")]
    assert slugs == ["wyoming", "wyoming-2", "wyoming-2-2", "utah"]
