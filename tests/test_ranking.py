"""The picker's ranking pieces on made-up text: novelty, names, what a follow-up already saw."""

from __future__ import annotations

from index.answer import quoted
from index.ranking import FEATURES, hand_score, novelty, rank_score
from index.schema import Answer
from index.terms import terms
from index.words import names


def test_novelty_is_the_share_of_a_sentence_the_question_does_not_have() -> None:
    question = set(terms("when did the ferry strike start?"))
    restated = set(terms("The ferry strike started."))
    informative = set(terms("The ferry strike started on Monday after pay talks failed."))
    assert novelty(restated, question) < novelty(informative, question)
    assert novelty(set(), question) == 0.0


def test_names_are_capitalised_words_that_do_not_open_a_sentence() -> None:
    text = 'Crews walked out in Halden. Officials said "Many were idle," said Ann Reid.'
    assert names(text) == {"halden", "ann", "reid"}


def test_the_ranking_prefers_a_better_candidate_on_every_feature() -> None:
    low = dict.fromkeys(FEATURES, 0.2) | {"seen": 0.0}
    high = dict.fromkeys(FEATURES, 0.8) | {"seen": 0.0}
    assert rank_score(high) > rank_score(low)
    assert hand_score(high) > hand_score(low)
    assert 0.0 <= rank_score(low) <= 1.0


def test_quoted_splits_an_answer_into_its_cited_parts() -> None:
    answer = Answer(question="q", text="The union called the strike. [1] Talks resume Friday. [2]",
                    abstained=False)
    assert quoted(answer) == ("The union called the strike.", "Talks resume Friday.")
    assert quoted(Answer(question="q", text="The coverage does not say.", abstained=True)) == ()
    assert quoted(None) == ()
    assert quoted(answer, "when do the talks resume?") == ("The union called the strike.",)
