"""What every benchmark shares: paths, the seed index in a scratch folder, figures and JSON output."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from index import Config, Engine, build_index
from index.config import config_from_dict

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "bench" / "results"
SEED = ROOT / "corpus" / "kazakhstan-live-updates.txt"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """A config file for a subprocess: {"chroma": {"path": ...}} -> [chroma] path = "..."."""
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {v if isinstance(v, int) else json.dumps(str(v))}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scratch_seed_config() -> Config:
    """The seed corpus indexed into a fresh temporary folder (never the project's own .index)."""
    base = Path(tempfile.mkdtemp(prefix="bench-seed-"))
    (base / "corpus").mkdir()
    shutil.copy(SEED, base / "corpus" / SEED.name)
    raw = {"corpus": {"path": str(base / "corpus")}, "chroma": {"path": str(base / "chroma")}}
    return config_from_dict(raw, base_dir=base)


def seed_engine() -> Engine:
    """An engine over the seed corpus, built in a scratch folder."""
    config = scratch_seed_config()
    build_index(config, progress=False)
    return Engine(config)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; q in [0, 100]."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median": statistics.median(values), "p95": percentile(values, 95),
            "max": max(values)}


def memory_mb(pid: int | str = "self") -> dict[str, float]:
    """A process's resident memory now and at its peak, in MiB, from /proc."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
        fields = dict(line.split(":", 1) for line in handle)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
            "peak_rss_mb": int(fields["VmHWM"].split()[0]) / 1024}


def machine() -> dict[str, Any]:
    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_kb = int(handle.readline().split()[1])
    return {"cores": os.cpu_count(), "ram_gib": round(mem_kb / 2**20, 1), "python": platform.python_version()}


def write_json(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2), encoding="utf-8")
    return path


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table, numbers to 3 significant places."""
    def cell(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
