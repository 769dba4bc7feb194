"""Benchmarks exact counting of a 10 MB mixed text (in-process and whole `count` processes) against plain tiktoken.

"ours" is the production path: core.tokens.chunking.count_exact_fast, which counts safely cut pieces with
bpe-openai (core.tokens.fastcount) when it is installed and passes its self-check; when tiktoken's
vocabulary is already resident (as here, where it was loaded for the baseline) a tail share goes
to tiktoken on a second thread ("hybrid"). "bpe-openai alone" is what the CLI does. The tiktoken-only
path (the fallback) is timed in the same run: in-process with core.tokens.fastcount.disabled(), as a
process with TOKEN_BUDGET_NO_ACCELERATOR=1. --smoke runs every part once on small inputs (a
1.1M-character text, still over the hybrid threshold; 20k-character single pieces; whole processes
on the 4 KB prompt only) so the suite can check that the benchmark still runs; it measures nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from any directory

SIZE = 10_000_000
SMOKE_SIZE = 1_100_000  # over chunking.HYBRID_MIN_CHARS (1 MiB), so the smoke run takes the hybrid path too

_WORDS = ("the of and to in is that for it as with was on be by this are or his from at which but "
          "have an they you were her she there been one all we their has would when if so no will "
          "more about can said token budget model price cache batch routing distillation latency "
          "throughput quantization don't it's we'll THEY'RE naïve café Übermaß").split()
_CJK = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而"
        "能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与"
        "高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次"
        "ひらがなカタカナ한국어텍스트")
_EMOJI = ["😀", "😂", "👍🏽", "🎉", "🚀", "❤️‍🔥", "👨‍👩‍👧‍👦", "🇯🇵", "✨", "🤖", "e\u0301", "a\u0308\u0302"]


def build_text(size: int = SIZE, seed: int = 2026) -> str:
    """Deterministic mixed text: English prose, source code, JSON, CJK, emoji, numbers, whitespace runs."""
    r = random.Random(seed)

    def prose() -> str:
        out = []
        for _ in range(r.randint(20, 200)):
            w = r.choice(_WORDS)
            out.append(w.capitalize() if r.random() < 0.1 else w)
            if r.random() < 0.08:
                out.append(r.choice([",", ".", ";", "!", "?"]))
        return " ".join(out) + "\n"

    def code() -> str:
        name = "".join(r.choice("abcdefghijklmnop_") for _ in range(r.randint(3, 14)))
        nums = ", ".join(str(r.randint(0, 10**6)) for _ in range(r.randint(1, 6)))
        return (f"def {name}(x, y={r.randint(0, 99999)}):\n    if x > {r.random():.4f}:\n"
                f"        return [{nums}]\n    # TODO: handle {r.choice(_WORDS)}'s case\n"
                f"\treturn {{'{name}': x, \"n\": {r.randint(0, 999)}}}  \n\n")

    def json_line() -> str:
        tags = ",".join('"%s"' % r.choice(_WORDS) for _ in range(r.randint(0, 4)))
        return '{"id": %d, "name": "%s", "tags": [%s], "ok": %s, "score": %.3f}\n' % (
            r.randint(0, 10**9), " ".join(r.choice(_WORDS) for _ in range(3)), tags,
            r.choice(["true", "false", "null"]), r.random())

    def cjk() -> str:
        return "".join(r.choice(_CJK) for _ in range(r.randint(10, 150))) + r.choice(["。", "，", "！", "\n", "、"])

    def emoji() -> str:
        return " ".join(r.choice(_EMOJI) * r.randint(1, 3) for _ in range(r.randint(1, 6))) + " "

    def whitespace() -> str:
        return r.choice([" " * r.randint(2, 60), "\n" * r.randint(2, 8), " \n \n\t\t", "\r\n" * r.randint(1, 3),
                         "\t" * r.randint(1, 10), "    \n"])

    def number() -> str:
        return str(r.randint(0, 10**40)) + r.choice([" ", "\n", ".", ""])

    makers = [prose, code, json_line, cjk, emoji, whitespace, number]
    weights = [30, 15, 15, 15, 5, 10, 3]
    parts: list[str] = []
    n = 0
    while n < size:
        part = r.choices(makers, weights)[0]()
        parts.append(part)
        n += len(part)
    return "".join(parts)[:size]


def median_times(fns: dict[str, callable], runs: int) -> dict[str, tuple[float, object]]:
    """Median wall time of each function, runs interleaved so background load hits all alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    results: dict[str, object] = {}
    for _ in range(runs):
        for name, fn in fns.items():
            t = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {k: (statistics.median(v), results[k]) for k, v in times.items()}


PLAIN_SCRIPT = r"""
import sys, tiktoken
from tiktoken.load import load_tiktoken_bpe
from tiktoken_ext import openai_public as op
ranks = load_tiktoken_bpe(sys.argv[1], expected_hash=sys.argv[2])
enc = tiktoken.Encoding("o200k_base", pat_str=sys.argv[3], mergeable_ranks=ranks,
                        special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018})
with open(sys.argv[4], encoding="utf-8", newline="") as f:  # keep \r\n, as `count` does
    print(len(enc.encode_ordinary(f.read())))
"""


def process_times(file: Path, runs: int, cache: Path, data: Path) -> dict[str, float]:
    from core.tokens import DISABLE_ENV, SPECS, vocabulary_path

    spec = SPECS["o200k_base"]
    env = dict(os.environ, TOKEN_BUDGET_CACHE_DIR=str(cache), TOKEN_BUDGET_DATA_DIR=str(data),
               TIKTOKEN_CACHE_DIR=str(cache / "tiktoken"))
    env.pop(DISABLE_ENV, None)
    ours = [sys.executable, str(ROOT / "main.py"), "count", str(file), "--model", "gpt-5", "--json"]
    plain = [sys.executable, "-c", PLAIN_SCRIPT, str(vocabulary_path("o200k_base")), spec.sha256,
             spec.pat_str, str(file)]

    def timed(cmd: list[str], extra_env: dict[str, str] | None = None) -> tuple[float, str]:
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env={**env, **(extra_env or {})}).stdout
        return time.perf_counter() - t, out

    # Warm the OS file cache, the catalog memo, the ranks cache and tiktoken's file copy.
    timed(ours), timed(ours, {DISABLE_ENV: "1"}), timed(plain)
    contenders = {
        "count, bpe-openai (memo warm)": (ours, None),
        "count, bpe-openai (no memo)": (ours, "fresh"),
        "count, tiktoken only (memo warm)": (ours, {DISABLE_ENV: "1"}),
        "plain tiktoken script": (plain, None),
    }
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    counts: set[int] = set()
    for i in range(runs):
        for name, (cmd, extra) in contenders.items():
            if extra == "fresh":
                extra = {"TOKEN_BUDGET_CACHE_DIR": str(cache / f"fresh-{i}")}
            t, out = timed(cmd, extra)
            samples[name].append(t)
            counts.add(int(out) if cmd is plain else int(json.loads(out)["tokens"]))
    assert len(counts) == 1, f"process counts differ: {counts}"
    return {k: statistics.median(v) for k, v in samples.items()}


def accelerator_build_seconds(runs: int) -> float:
    """bpe-openai's o200k_base tokenizer: load the native module and build (fresh processes; it is cached in one)."""
    code = ("import time; t = time.perf_counter(); from core.tokens import fastcount; "
            "assert fastcount.counter('o200k_base') is not None, fastcount.status('o200k_base'); "
            "print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                  cwd=ROOT).stdout) for _ in range(runs)]
    return statistics.median(times)


def vocabulary_load_times(runs: int) -> dict[str, float]:
    """Load o200k_base three ways: tiktoken's loader, our parser, and a marshal cache of the ranks."""
    import marshal

    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    from core.tokens import SPECS, load_encoding, parse_ranks, vocabulary_path

    spec = SPECS["o200k_base"]
    path = vocabulary_path("o200k_base")
    data = path.read_bytes()
    blob = marshal.dumps(parse_ranks(data))
    special = dict(spec.special_tokens)
    os.environ["TIKTOKEN_CACHE_DIR"] = ""  # no copy into tiktoken's cache folder

    def build(ranks):
        return tiktoken.Encoding("o200k_base", pat_str=spec.pat_str, mergeable_ranks=ranks, special_tokens=special)

    res = median_times({
        "tiktoken load_tiktoken_bpe + Encoding": lambda: build(load_tiktoken_bpe(str(path), spec.sha256)),
        "core.tokens.vocab.load_encoding (verified)": lambda: load_encoding("o200k_base"),
        "  of which: parse_ranks only": lambda: parse_ranks(data, spec.n_ranks),
        "  alternative: marshal.loads cache": lambda: marshal.loads(blob),
        "  parse_ranks + tiktoken.Encoding()": lambda: build(parse_ranks(data)),
    }, runs)
    return {k: t for k, (t, _) in res.items()}


def single_piece_inputs(enc, n: int = 1_000_000) -> None:
    """Texts with no safe cut (one piece whatever the chunk size) of about `n` characters: one bpe-openai call vs one tiktoken call."""
    import base64

    from core.tokens import counter_for, fastcount

    fast = fastcount.counter("o200k_base")
    if fast is None:
        return
    tiktoken_count = counter_for(enc)
    k = f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}M"
    emoji = n * 3 // 10
    r = random.Random(3)
    cases = {
        f"{k} letters 'a'": "a" * n,
        f"{k} digits": "".join(r.choice("0123456789") for _ in range(n)),
        f"{k} CJK ideographs": "".join(chr(r.randint(0x4E00, 0x9FA5)) for _ in range(n)),
        f"{emoji // 1000}k emoji": "\U0001F600" * emoji,
        f"{k} chars of base64": base64.b64encode(r.randbytes(n * 3 // 4)).decode(),
        f"{k} spaces": " " * n,
    }
    print("single pieces (no safe cut), o200k_base, one call each:")
    for name, text in cases.items():
        t = time.perf_counter()
        ours = fast(text)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        try:
            theirs: object = tiktoken_count(text)
        except ValueError as exc:  # tiktoken's regex engine gives up on some long runs
            theirs = f"error: {str(exc)[:60]}"
        t_theirs = time.perf_counter() - t
        same = "same count" if theirs == ours else f"tiktoken: {theirs}"
        assert theirs == ours or isinstance(theirs, str), f"{name}: bpe-openai {ours}, tiktoken {theirs}"
        print(f"  {name:22s} bpe-openai {t_ours * 1000:7.1f} ms   tiktoken {t_theirs * 1000:7.1f} ms   ({same})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median reported)")
    parser.add_argument("--no-process", action="store_true", help="skip the whole-process timings")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds: every part once on small inputs (checks the benchmark runs; not a measurement)")
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
        print("smoke run: tiny inputs, one run each; checks that the benchmark runs, measures nothing")

    from core.tokens import count_exact_fast, counter_for, fastcount, get_encoding, iter_split, split_text

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    text = build_text(SMOKE_SIZE if args.smoke else SIZE)
    size = f"{len(text) / 1e6:.1f}M characters"
    enc = get_encoding("o200k_base")
    raw_count = counter_for(enc)
    print(f"text: {len(text):,} characters, {len(text.encode()):,} UTF-8 bytes, "
          f"{len(split_text(text)):,} chunks of ~64k characters")
    print(f"accelerator: {fastcount.status('o200k_base') if fastcount.counter('o200k_base') else 'none'}")

    def tiktoken_only() -> int:
        with fastcount.disabled():
            return count_exact_fast(text, "o200k_base")

    res = median_times({
        "raw tiktoken enc.encode_ordinary(text)": lambda: len(enc.encode_ordinary(text)),
        "tiktoken one call, u32 buffer": lambda: raw_count(text),
        "tiktoken only: chunks on 2 threads": tiktoken_only,
        "ours, bpe-openai alone (as in the CLI)": lambda: sum(map(fastcount.counter("o200k_base"),
                                                                  iter_split(text))),
        "ours: count_exact_fast (hybrid)": lambda: count_exact_fast(text, "o200k_base"),
    }, args.runs)
    counts = {r for _, r in res.values()}
    assert len(counts) == 1, f"counts differ: {res}"
    base = res["raw tiktoken enc.encode_ordinary(text)"][0]
    print(f"in-process, {size}, median of {args.runs} interleaved runs; tokens: {counts.pop():,} "
          f"(identical on all paths)")
    for name, (t, _) in res.items():
        print(f"  {name:40s} median {t * 1000:7.1f} ms   {base / t:5.2f}x")

    print("vocabulary load, o200k_base:")
    for name, t in vocabulary_load_times(args.runs).items():
        print(f"  {name:40s} median {t * 1000:7.1f} ms")
    print(f"  {'bpe-openai: import + build + self-check':40s} median "
          f"{accelerator_build_seconds(args.runs) * 1000:7.1f} ms (fresh processes)")

    single_piece_inputs(enc, 20_000 if args.smoke else 1_000_000)

    if not args.no_process:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            inputs = [(f"{size} of mixed text", text), ("4 KB prompt", text[:4096])]
            for label, content in inputs[1:] if args.smoke else inputs:
                file = tmp_path / "input.txt"
                file.write_text(content, encoding="utf-8", newline="")
                times = process_times(file, args.runs, tmp_path / "cache", tmp_path / "data")
                plain_t = times["plain tiktoken script"]
                print(f"whole process, {label}, median of {args.runs} interleaved runs "
                      f"(`python main.py count FILE --model gpt-5 --json` vs a plain tiktoken script):")
                for name, t in times.items():
                    print(f"  {name:40s} median {t * 1000:7.1f} ms   {plain_t / t:5.2f}x")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
