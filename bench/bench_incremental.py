"""Benchmarks IncrementalCounter: a one-character edit in a 10 MB text against a full exact recount."""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from any directory
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_count import build_text, median_times  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=200, help="one-character edits to time")
    parser.add_argument("--runs", type=int, default=5, help="full recounts to time (median reported)")
    parser.add_argument("--encoding", default="o200k_base")
    args = parser.parse_args()

    from core.chunking import IncrementalCounter, count_exact_fast
    from core.vocab import get_encoding

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    enc = get_encoding(args.encoding)
    text = build_text()
    counter = IncrementalCounter(args.encoding)
    t = time.perf_counter()
    counter.set_text(text)
    print(f"set_text: {len(text):,} characters, {counter.chunk_count:,} chunks, "
          f"{counter.tokens:,} tokens in {(time.perf_counter() - t) * 1000:.0f} ms")

    r = random.Random(7)
    alphabet = list("abcXYZ019 ,.'\n\t/{}漢字😀") + ["\u0301"]
    edit_times: list[float] = []
    for _ in range(args.edits):
        n = len(counter)
        pos = r.randrange(n)
        kind = r.random()
        if kind < 0.5:
            start, end, new = pos, pos, r.choice(alphabet)  # type a character
        elif kind < 0.8:
            start, end, new = pos, pos + 1, ""  # delete one
        else:
            start, end, new = pos, pos + 1, r.choice(alphabet)  # overwrite one
        t = time.perf_counter()
        counter.apply_edit(start, end, new)
        edit_times.append(time.perf_counter() - t)
    edited = counter.text
    full = median_times({
        "count_exact_fast(text)": lambda: count_exact_fast(edited, args.encoding),
        "len(enc.encode_ordinary(text))": lambda: len(enc.encode_ordinary(edited)),
    }, args.runs)
    reference = full["len(enc.encode_ordinary(text))"][1]
    assert counter.tokens == reference == full["count_exact_fast(text)"][1], "identity broken"
    edit = statistics.median(edit_times)
    print(f"identity after {args.edits} edits: {counter.tokens:,} tokens == tiktoken's count")
    print(f"  one-character edit (apply_edit)         median {edit * 1000:8.3f} ms  "
          f"(p90 {sorted(edit_times)[int(0.9 * len(edit_times))] * 1000:.3f} ms)")
    for name, (t, _) in full.items():
        print(f"  full recount, {name:28s} median {t * 1000:8.1f} ms   edit is {t / edit:6.0f}x faster")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
