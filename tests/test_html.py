"""HTML pages through the loader: trafilatura's main text, split into posts, boilerplate left out.

Made-up pages, written the way news sites write them: no semantic tags, or a layout table.
"""

from __future__ import annotations

from pathlib import Path

from index.documents import load_corpus, parse_date
from index.html import extracted, parse_page, stripped

BOILERPLATE = ["We use cookies to improve your visit", "Sign up for the morning briefing",
               "Copyright 2025 The Velmora Courier", "Ferry timetable changes again", "Home", "Weather"]


def div_page() -> str:
    """A live page in <div>s only: menu and related links as lists, notices as paragraphs."""
    posts = "".join(
        f"<h2>{head}</h2><p>{text}</p>" for head, text in [
            ("Water restored in Ridder", "Engineers restored water to 1,200 homes in Ridder on Sunday, "
                                         "the utility said, after a main burst under the old market."),
            ("Pipes burst in Saran", "Three pipes burst in Saran overnight, leaving the old town dry "
                                     "until the morning, officials said at a briefing.")])
    return ("<html><head><title>Water outages live - The Velmora Courier</title></head><body>"
            "<div class='cookie'><p>We use cookies to improve your visit. Accept?</p></div>"
            "<div class='top'><ul class='menu'><li><a href='/'>Home</a></li><li><a href='/w'>Weather</a></li>"
            "</ul></div><div class='story'><div class='headline'>Water outages live</div>"
            "<div class='date'>2 March 2025, 09:30 GMT</div>"
            f"<div class='story-body'>{posts}</div></div>"
            "<div class='related'><h3>Related stories</h3><ul><li><a href='/f'>Ferry timetable changes again"
            "</a></li></ul></div><div class='signup'><p>Sign up for the morning briefing.</p></div>"
            "<div class='footer'><p>Copyright 2025 The Velmora Courier. All rights reserved.</p></div>"
            "</body></html>")


def test_a_page_without_semantic_tags_keeps_its_posts_and_drops_the_rest(tmp_path: Path) -> None:
    (tmp_path / "live.html").write_text(div_page(), encoding="utf-8")
    result = load_corpus(tmp_path)
    assert result.problems == []
    [article] = result.articles
    assert article.title == "Water outages live"
    assert [p.headline for p in article.posts] == ["Water restored in Ridder", "Pipes burst in Saran"]
    assert "1,200 homes in Ridder" in article.posts[0].text and "Saran overnight" in article.posts[1].text
    text = " ".join(p.headline + " " + p.text for p in article.posts)
    assert not [b for b in BOILERPLATE if b in text]
    assert article.published is not None and article.published // 86400 == parse_date("2025-03-02") // 86400


def test_the_hand_written_stripping_kept_that_boilerplate() -> None:
    """Why trafilatura replaced it: with no <nav>/<aside>/<footer>, every <p> and <li> was text."""
    hand = " ".join(b.text for b in stripped(div_page()).blocks)
    assert "Ferry timetable changes again" in hand and "Copyright 2025" in hand
    assert extracted(div_page()).blocks == parse_page(div_page()).blocks


def test_a_layout_table_gives_its_paragraphs_not_its_link_columns() -> None:
    story = ("<p>The harbour of Velmora reopened on Sunday after five days of repairs to the sea wall.</p>"
             "<p>Ferries to the island of Oskar resumed at noon, the port authority said in a statement.</p>")
    page = ("<html><head><title>Velmora harbour reopens</title></head><body><table><tr>"
            "<td><a href='/'>Home</a><br><a href='/w'>Weather</a></td>"
            f"<td><b>Velmora harbour reopens</b>{story}</td>"
            "<td><b>Related</b><br><a href='/f'>Ferry timetable changes again</a><br>"
            "Sign up for the morning briefing.</td></tr></table></body></html>")
    text = " ".join(b.text for b in parse_page(page).blocks)
    assert "reopened on Sunday" in text and "resumed at noon" in text
    assert not [b for b in BOILERPLATE if b in text]


def test_a_page_with_no_main_text_is_reported(tmp_path: Path) -> None:
    (tmp_path / "menu.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>",
                                        encoding="utf-8")
    result = load_corpus(tmp_path)
    assert result.articles == [] and "menu.html" in result.problems[0]
