"""Shared helpers for the token tests (no tests here): tiktoken's own encodings from the bundled files, mixed sample text."""
from __future__ import annotations

import functools
import os
import random

ENCODINGS = ("o200k_base", "cl100k_base")


@functools.cache
def reference_encoding(name: str):
    """The encoding exactly as tiktoken_ext.openai_public builds it, fed the bundled file.

    Independent of core.tokens.vocab: tiktoken's own constructor, pattern, special tokens and loader
    (load_tiktoken_bpe with its hash check); only the download URL is redirected to the file.
    """
    import tiktoken
    import tiktoken_ext.openai_public as openai_public
    from tiktoken.load import load_tiktoken_bpe

    from resources import resource_path

    def local_load(url: str, expected_hash: str | None = None):
        path = resource_path("encodings", url.rsplit("/", 1)[-1])
        return load_tiktoken_bpe(str(path), expected_hash=expected_hash)

    old_cache = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = ""  # "" disables tiktoken's copy into its cache folder
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = local_load
    try:
        params = getattr(openai_public, name)()
    finally:
        openai_public.load_tiktoken_bpe = original
        if old_cache is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old_cache
    return tiktoken.Encoding(**params)


_WORDS = ("the of and to in is that for it as with was on be by this are or from at which but have "
          "token budget model price cache batch don't it's we'll THEY'RE I'M naïve café Übermaß").split()
_CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之"
_EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵", "❤️‍🔥", "e\u0301", "a\u0308\u0301"]


def mixed_text(size: int, seed: int = 1) -> str:
    """Deterministic mixed text: prose, code, JSON, CJK, emoji, numbers and whitespace runs."""
    r = random.Random(seed)

    def prose():
        words = [r.choice(_WORDS) for _ in range(r.randint(5, 60))]
        return " ".join(w.capitalize() if r.random() < 0.1 else w for w in words) + r.choice(".!?,;") + "\n"

    def code():
        name = "".join(r.choice("abcdefgh_") for _ in range(r.randint(2, 10)))
        return (f"def {name}(x, y={r.randint(0, 99999)}):\n    if x > {r.random():.3f}:\n"
                f"        return [{r.randint(0, 10**6)}, '{r.choice(_WORDS)}']  # it's\n\treturn None\n\n")

    def json_line():
        return '{"id": %d, "name": "%s", "ok": %s, "tags": ["%s"]}\n' % (
            r.randint(0, 10**9), r.choice(_WORDS), r.choice(["true", "null"]), r.choice(_WORDS))

    def cjk():
        return "".join(r.choice(_CJK) for _ in range(r.randint(5, 80))) + r.choice(["。", "，", "！", "\n", " "])

    def other():
        return r.choice([
            " " * r.randint(2, 30), "\n" * r.randint(1, 5), " \n \n\t", "\r\n", "\t" * r.randint(1, 6),
            str(r.randint(0, 10**25)), " ".join(r.choice(_EMOJI) for _ in range(r.randint(1, 5))),
            "https://example.com/a/b?c=d ", "//\n/", "<|endoftext|>", "\u00a0\u3000",
        ])

    makers = [prose, code, json_line, cjk, other]
    parts: list[str] = []
    n = 0
    while n < size:
        part = r.choices(makers, weights=[30, 15, 15, 15, 25])[0]()
        parts.append(part)
        n += len(part)
    return "".join(parts)[:size]
