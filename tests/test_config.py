"""config.toml: typed, validated, relative to its own folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.config import load_config
from index.errors import ConfigError

from .conftest import ROOT


def test_project_config_loads_with_paths_relative_to_it() -> None:
    config = load_config(ROOT / "config.toml")
    assert config.corpus.path == ROOT / "corpus"
    assert config.chroma.path == ROOT / ".index" / "chroma"
    assert config.embedding.model is None and not config.server_mode


@pytest.mark.parametrize("text, named", [
    ("[chroma]\ncolection = 'x'\n", "[chroma] colection"),
    ("[chroma]\nport = 'eighty'\n", "[chroma] port"),
    ("[retrieval]\nvector_weight = 2.0\n", "vector_weight"),
    ("[telegram]\nadmins = ['alice']\n", "[telegram] admins"),
    ("[slack]\nadmins = [12345]\n", "[slack] admins must be a list of string ids"),
    ("[slack]\nmode = 'webhook'\n", "[slack] mode must be socket or http"),
    ("[nonsense]\nx = 1\n", "[nonsense]"),
    ("[answer]\nbackend = 'gpt'\n", "[answer] backend must be extractive or llm"),
    ("[answer]\nbackend = 'llm'\n", "needs [llm] model"),
    ("[llm]\nmodel = 'm'\ntimeout_s = 0\n", "[llm] timeout_s"),
    ("[llm]\napi_key = 'sk-secret'\n", "unknown key [llm] api_key"),
    ("[corpus\npath = 'x'\n", "not valid TOML"),
])
def test_a_wrong_key_or_value_is_named(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert named in str(info.value)


def test_server_mode_when_host_is_set(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[chroma]\nhost = '127.0.0.1'\nport = 8123\n", encoding="utf-8")
    config = load_config(path)
    assert config.server_mode and config.chroma.port == 8123


def test_conversation_and_state_sections(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[conversation]\nhistory_turns = 2\nhistory_minutes = 5\n[state]\npath = 'db/s.sqlite'\n",
                    encoding="utf-8")
    config = load_config(path)
    assert (config.conversation.history_turns, config.conversation.history_minutes) == (2, 5.0)
    assert config.state.path == tmp_path / "db" / "s.sqlite"
    assert load_config(ROOT / "config.toml").state.path == ROOT / ".index" / "state.sqlite"
    path.write_text("[telegram]\nhistory_turns = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[telegram\] history_turns"):
        load_config(path)


def test_slack_section_with_string_ids(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[slack]\nmode = 'http'\nport = 3100\nbase_url = 'http://127.0.0.1:9/api/'\n"
                    "channels = ['C01']\nallowed_users = ['U01']\nadmins = ['U02']\n", encoding="utf-8")
    slack = load_config(path).slack
    assert (slack.mode, slack.port, slack.base_url) == ("http", 3100, "http://127.0.0.1:9/api/")
    assert (slack.channels, slack.allowed_users, slack.admins) == (("C01",), ("U01",), ("U02",))
    assert load_config(ROOT / "config.toml").slack.base_url == "https://slack.com/api/"


def test_llm_section_reads_its_key_from_the_named_variable(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[answer]\nbackend = 'llm'\n[llm]\nbase_url = 'http://127.0.0.1:9/v1'\n"
                    "model = 'smol'\napi_key_env = 'MY_LLM_KEY'\nmax_concurrent = 3\n", encoding="utf-8")
    monkeypatch.setenv("MY_LLM_KEY", "sk-from-env")
    config = load_config(path)
    assert config.answer.backend == "llm" and config.llm.model == "smol"
    assert config.llm.max_concurrent == 3 and config.llm.temperature == 0.0
    assert config.llm.api_key() == "sk-from-env"
    monkeypatch.delenv("MY_LLM_KEY")
    assert config.llm.api_key() == ""
