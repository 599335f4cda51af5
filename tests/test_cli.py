"""The CLI contracts: build, stats, ask --json, ask --batch; exit codes and messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SEED

CITATION_KEYS = {"n", "post_id", "headline", "title", "source", "url", "published", "text"}


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "index", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cli")
    (base / "corpus").mkdir()
    shutil.copy(SEED, base / "corpus" / SEED.name)
    config = base / "bot.toml"
    config.write_text('[corpus]\npath = "corpus"\n[chroma]\npath = "store"\ncollection = "cli"\n',
                      encoding="utf-8")
    built = run_cli("build", "--config", str(config))
    assert built.returncode == 0, built.stderr
    assert "1 added" in built.stdout
    return config


def assert_answer_schema(obj: dict) -> None:
    assert set(obj) == {"question", "answer", "abstained", "citations"}
    assert isinstance(obj["question"], str) and isinstance(obj["answer"], str)
    assert isinstance(obj["abstained"], bool)
    for n, citation in enumerate(obj["citations"], 1):
        assert set(citation) == CITATION_KEYS
        assert citation["n"] == n and isinstance(citation["text"], str) and citation["text"]


def test_ask_json(cli_config: Path) -> None:
    out = run_cli("ask", "how many detained?", "--json", "--config", str(cli_config))
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert_answer_schema(obj)
    assert "more than 3,000" in obj["answer"] and not obj["abstained"]
    assert any("more than 3,000 detained" in c["text"] for c in obj["citations"])


def test_ask_batch_writes_one_object_per_line(cli_config: Path, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join([
        json.dumps({"question": "Who is Stanislav Pritchin?"}),
        json.dumps({"question": "Who won the football World Cup in 2018?", "as_of": "2022-01-08"}),
        "this line is not json",
    ]) + "\n", encoding="utf-8")
    out = run_cli("ask", "--batch", str(batch), "--config", str(cli_config))
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3
    assert_answer_schema(lines[0])
    assert_answer_schema(lines[1])
    assert "senior research fellow" in lines[0]["answer"]
    assert lines[1]["abstained"] and lines[1]["citations"] == []
    assert lines[2]["line"] == 3 and "question" in lines[2]["error"]
    assert out.returncode == 1  # one line failed; the others were still answered


def test_stats_and_second_build(cli_config: Path) -> None:
    stats = run_cli("stats", "--json", "--config", str(cli_config))
    assert json.loads(stats.stdout) == {"documents": 1, "posts": 11, "chunks": 13, "newest_update": None}
    again = run_cli("build", "--config", str(cli_config))
    assert "0 chunks embedded" in again.stdout and "1 unchanged" in again.stdout


def test_missing_index_and_bad_config_give_clear_messages(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[chroma]\npath = "nothing-here"\n', encoding="utf-8")
    out = run_cli("ask", "how many detained?", "--config", str(config))
    assert out.returncode == 2 and "python -m index build" in out.stderr
    config.write_text('[chroma]\nport = "x"\n', encoding="utf-8")
    out = run_cli("stats", "--config", str(config))
    assert out.returncode == 2 and "[chroma] port" in out.stderr
    assert "Traceback" not in out.stderr
