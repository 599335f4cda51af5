"""Answer quality on RealTime QA (as of each question's date) and on the seed set, with baselines.

    python -m bench.eval realtimeqa --split dev|test [--sample N] [--min-confidence X] [--answer KEY=VALUE]
    python -m bench.eval seed
    python -m bench.eval chat [--sample N] [--answer KEY=VALUE]
    ... --backend llm --llm model=NAME --llm base_url=URL [--llm api_key_env=VAR] [--times-only]

--backend llm answers with the model in [llm] (any OpenAI-compatible endpoint); it also prints
the time to the first token and the total per answer against the extractive engine, on the same
questions in the same run (--times-only: that table alone). `python -m bench.llamacpp` serves
SmolLM2-135M locally for it (plumbing only: that model cannot answer news questions).

chat: the chat-style dev set of ../shared/eval/chat over its 61 articles, scored by its README's
rules, reported for the stories tuned on ("tune") and the stories only scored ("score").

The corpus is all of contexts.jsonl; each question is asked through Engine.answer() as of its
question date. Baselines over the same chunks: BM25 alone and dense retrieval alone (LlamaIndex's
VectorStoreIndex retriever), each with and without the as-of filter. Indexes are cached under
~/.cache/coverage-bot/realtimeqa (they take minutes to embed, and nothing in them is ours to commit).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path

from llama_index.core import VectorStoreIndex
from llama_index.core.schema import QueryBundle
from llama_index.vector_stores.chroma import ChromaVectorStore

from index import Config, Engine, build_index
from index.bm25 import BM25ChunkRetriever, ChunkCorpus
from index.config import config_from_dict
from index.retrieval import as_of_filters
from index.store import Store

from . import chat
from . import realtimeqa as rq
from .common import SHARED, read_jsonl, seed_engine, table, write_json
from .llmtime import compare, llm_config

BASELINES = ("bm25", "bm25 + as_of", "dense", "dense + as_of")


LLM_OVERRIDES: dict = {}  # --llm settings, for every engine this run builds


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # a bare string: model=llama3.1:8b


def eval_config(corpus: Path, name: str, answer: dict) -> Config:
    raw: dict = {"corpus": {"path": str(corpus)}, "chroma": {"path": str(rq.cache_dir() / name)},
                 "answer": answer, "llm": dict(LLM_OVERRIDES)}
    return config_from_dict(raw, base_dir=rq.cache_dir())


def ask_all(engine: Engine, qs: list[rq.Question], records: list[dict] | None = None) -> rq.Tally:
    tally = rq.Tally()
    for i, q in enumerate(qs, 1):
        start = time.perf_counter()
        answer = engine.answer(q.question, as_of=q.as_of)
        tally.seconds.append(time.perf_counter() - start)
        rank = tally.retrieval(list(answer.retrieved), q.gold)
        tally.answer(q, answer)
        if records is not None:
            # Ids and figures only: the questions and passages are third-party text.
            records.append({"id": q.id, "confidence": answer.confidence, "signals": answer.signals,
                            "abstained": answer.abstained,
                            "rank": rank,
                            "contained": None if answer.abstained else rq.contains(answer.text, q.answers),
                            "chars": None if answer.abstained else rq.answer_chars(answer),
                            "answer_in_context": q.answer_in_context})
        if i % 200 == 0:
            print(f"  {i}/{len(qs)} asked", file=sys.stderr)
    return tally


def baselines(engine: Engine, qs: list[rq.Question]) -> dict[str, rq.Tally]:
    """Retrieval alone, top 5, over the engine's own store and chunks."""
    store = Store.open(engine.config.chroma)
    corpus = ChunkCorpus.read(store)
    dense = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=store.chunks()),
                                               embed_model=engine.embed_model)
    tallies = {name: rq.Tally() for name in BASELINES}
    for q in qs:
        bundle = QueryBundle(q.question, embedding=engine.embed_model.get_query_embedding(q.question))
        for name in BASELINES:
            as_of = q.as_of if name.endswith("as_of") else None
            if name.startswith("bm25"):
                retriever = BM25ChunkRetriever(corpus, 5, as_of)
            else:
                retriever = dense.as_retriever(similarity_top_k=5,
                                               filters=as_of_filters(as_of) if as_of else None)
            start = time.perf_counter()
            nodes = retriever.retrieve(bundle)
            tallies[name].seconds.append(time.perf_counter() - start)
            tallies[name].retrieval([n.node.metadata.get("post_id", "") for n in nodes], q.gold)
    return tallies


def removed_index(name: str, qs: list[rq.Question], full: Config, answer: dict) -> Config:
    """The corpus without the answerable questions' gold: copied from the full index, then shrunk.

    Cached per question set (`name`): another set would re-embed what this one removed."""
    removed = set().union(*(q.gold for q in qs if q.answer_in_context))
    config = eval_config(rq.removed_corpus(name, removed), f"chroma-{name}-gold-removed", answer)
    if not config.chroma.path.exists():
        shutil.copytree(full.chroma.path, config.chroma.path)  # deleting is cheaper than re-embedding
    print(build_index(config, progress=False).summary(), file=sys.stderr)
    return config


def spread(items: list, sample: int) -> list:
    """`sample` of the items, spread over the whole list (all of them when sample is 0)."""
    return items[:: len(items) // sample][:sample] if 0 < sample < len(items) else items


def times(config: Config, engine: Engine, questions: list[tuple[str, int | None]]) -> str | None:
    """With the LLM backend, its times against the extractive engine's over the same index."""
    if config.answer.backend != "llm":
        return None
    extractive = Engine(dataclasses.replace(config, answer=dataclasses.replace(config.answer,
                                                                               backend="extractive")))
    table_ = compare(extractive, engine, questions)
    print(table_, file=sys.stderr)
    return table_


def run_realtimeqa(split: str, sample: int, answer: dict, with_baselines: bool,
                   times_only: bool = False) -> dict:
    qs = spread(rq.questions(split), sample)
    full = eval_config(rq.full_corpus(), "chroma-full", answer)
    print(build_index(full, progress=True).summary(), file=sys.stderr)
    engine = Engine(full)
    timing = times(full, engine, [(q.question, q.as_of) for q in qs])
    if times_only:
        return {"split": split, "questions": len(qs), "times": timing}
    records: list[dict] = []
    rows = {"engine": ask_all(engine, qs, records).row()}
    name = split + (f"-sample{len(qs)}" if sample else "")
    gone = Engine(removed_index(name, qs, full, answer))
    answerable = [q for q in qs if q.answer_in_context]
    removed_records: list[dict] = []
    removed_tally = ask_all(gone, answerable, removed_records)
    rows["engine"]["abstention (gold removed)"] = removed_tally.abstained / max(1, removed_tally.answerable)
    if with_baselines:
        rows.update({name: t.row() for name, t in baselines(engine, qs).items()})
    return {"split": split, "questions": len(qs), "min_confidence": engine.config.answer.min_confidence,
            "answer_overrides": answer, "times": timing,
            "rows": rows, "records": records, "removed_records": removed_records}


def run_seed(llm: dict | None = None) -> dict:
    engine = seed_engine()
    if llm is not None:
        extractive, engine = engine, Engine(llm_config(engine.config, llm))
        qa = read_jsonl(SHARED / "eval" / "seed_qa.jsonl")
        print(compare(extractive, engine, [case["question"] for case in qa]), file=sys.stderr)
    qa = read_jsonl(SHARED / "eval" / "seed_qa.jsonl")
    correct = 0
    for case in qa:
        answer = engine.answer(case["question"])
        if case.get("answerable", True):
            said = answer.text.replace(",", "")
            correct += (any(e.replace(",", "") in said for e in case["expect_any"])
                        and any(case["support"] in c.text for c in answer.citations))
        else:
            correct += answer.abstained
    followups = read_jsonl(SHARED / "eval" / "seed_followups.jsonl")
    right = 0
    for case in followups:
        first = engine.answer(case["turns"][0])
        second = engine.answer(case["turns"][1], history=[first])
        right += any(e in second.text for e in case["expect_any"])
    return {"seed questions": f"{correct}/{len(qa)}", "seed follow-ups": f"{right}/{len(followups)}"}


def run_chat(answer: dict, sample: int = 0, times_only: bool = False) -> dict:
    config = config_from_dict({"corpus": {"path": str(chat.corpus())},
                               "chroma": {"path": str(chat.cache_dir() / "chroma")}, "answer": answer,
                               "llm": dict(LLM_OVERRIDES)},
                              base_dir=chat.cache_dir())
    print(build_index(config, progress=False).summary(), file=sys.stderr)
    engine = Engine(config)
    picked = spread(chat.cases(), sample)
    timing = times(config, engine, [(case.turns[0]["question"], case.as_of) for case in picked])
    if times_only:
        return {"questions": len(picked), "times": timing}
    tallies: dict[str, chat.Tally] = {}
    records = []
    for case in picked:
        answers: list = []
        seconds = []
        for turn in case.turns:
            start = time.perf_counter()
            answers.append(engine.answer(turn["question"], history=answers, as_of=case.as_of))
            seconds.append(time.perf_counter() - start)
        rights = []
        for key in [case.part, "all"] + [f"{case.part}: {c}" for c in chat.categories(case)]:
            rights = tallies.setdefault(key, chat.Tally()).add(case, answers, seconds)
        records.append({"id": case.id, "part": case.part, "right": rights,
                        "answers": [a.to_json() | {"confidence": a.confidence, "signals": a.signals,
                                                   "query": a.query, "reason": a.reason}
                                    for a in answers]})
    return {"rows": {k: t.row() for k, t in tallies.items()}, "records": records,
            "answer_overrides": answer, "times": timing}


CHAT_COLUMNS = ["questions", "correct", "answerable correct", "false abstention",
                "abstention (unanswerable)", "time groups", "follow-ups", "turns", "answer chars",
                "median s"]


def chat_report(result: dict) -> str:
    rows = result["rows"]
    main = [[k] + [rows[k].get(c) if rows[k].get(c) is not None else "" for c in CHAT_COLUMNS]
            for k in ("tune", "score", "all")]
    detail = [[k] + [rows[k].get(c) if rows[k].get(c) is not None else "" for c in CHAT_COLUMNS]
              for k in sorted(rows) if ":" in k]
    return (f"Chat dev set: tuned on {', '.join(chat.TUNE_STORIES)}; "
            f"scored only: {', '.join(chat.SCORE_STORIES)}\n\n"
            + table(["part"] + CHAT_COLUMNS, main) + "\n\nBy category\n\n"
            + table(["part: category"] + CHAT_COLUMNS, detail))


def report(result: dict) -> str:
    columns = ["hit@1", "hit@5", "mrr", "containment", "[1] gold", "abstention (gold removed)",
               "false abstention", "markers valid", "answer chars", "median s", "p95 s"]
    rows = [[name] + ["" if row.get(c) is None else row[c] for c in columns]
            for name, row in result["rows"].items()]
    head = (f"RealTime QA {result['split']}: {result['questions']} questions with a gold passage, "
            f"min_confidence {result['min_confidence']}\n\n")
    return head + table(["system"] + columns, rows)


def print_chat(result: dict, times_only: bool) -> None:
    if times_only:
        print(f"chat dev set, {result['questions']} questions spread over it\n\n{result['times']}")
        return
    print(chat_report(result))
    # Per-question records hold the answers' passages (third-party text): they stay in the cache.
    (chat.cache_dir() / "eval-chat-records.json").write_text(json.dumps(result), encoding="utf-8")
    summary = {k: v for k, v in result.items() if k != "records"}
    print(f"written: {write_json('eval-chat', summary)} (per question: {chat.cache_dir()})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", choices=["realtimeqa", "seed", "chat"])
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--sample", type=int, default=0, help="ask only this many questions, spread out")
    parser.add_argument("--min-confidence", type=float, help="override [answer] min_confidence")
    parser.add_argument("--answer", action="append", default=[], metavar="KEY=VALUE",
                        help="override an [answer] setting, e.g. quote_paragraph_chars=400")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--backend", choices=["extractive", "llm"], default="extractive")
    parser.add_argument("--llm", action="append", default=[], metavar="KEY=VALUE",
                        help="an [llm] setting for --backend llm, e.g. model=llama3.1:8b")
    parser.add_argument("--times-only", action="store_true",
                        help="with --backend llm: only the times per answer against the extractive engine")
    args = parser.parse_args(argv)
    llm = dict(a.split("=", 1) for a in args.llm) if args.backend == "llm" else None
    llm = None if llm is None else {k: _value(v) for k, v in llm.items()}
    if args.set == "seed":
        print(run_seed(llm))
        return 0
    answer = {key: json.loads(value) for key, value in (a.split("=", 1) for a in args.answer)}
    if llm is not None:
        answer["backend"] = "llm"
        LLM_OVERRIDES.update(llm)
    if args.min_confidence is not None:
        answer["min_confidence"] = args.min_confidence
    if args.set == "chat":
        print_chat(run_chat(answer, args.sample, args.times_only), args.times_only)
        return 0
    result = run_realtimeqa(args.split, args.sample, answer, not args.no_baselines, args.times_only)
    if args.times_only:
        print(f"RealTime QA {args.split}, {result['questions']} questions spread over it\n\n"
              f"{result['times']}")
        return 0
    result["seed"] = run_seed()
    print(report(result))
    print(f"\nseed set: {result['seed']}")
    name = f"eval-{args.split}" + (f"-sample{args.sample}" if args.sample else "")
    # Per-question records (for bench.calibrate) are large: they stay in the cache.
    records = rq.cache_dir() / f"{name}-records.json"
    records.write_text(json.dumps(result), encoding="utf-8")
    summary = {k: v for k, v in result.items() if not k.endswith("records")}
    print(f"written: {write_json(name, summary)} (per question: {records})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
