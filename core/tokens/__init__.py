"""Token counting: bundled vocabularies, exact and estimated counts, chat framing, large and edited texts."""
from core.base.lazyapi import public_api

__getattr__, __dir__, __all__ = public_api(__name__, {
    "counting": ("CHAT_OVERHEAD_SINGLE_USER", "token_spans", "count_chat", "count_tokens", "preload_counting", "resolve_tokenizer",),
    "textfiles": ("MAX_FILE_BYTES", "TextFileError", "decode_text_bytes", "read_text_file",),
    "chunking": ("count_exact_fast", "counter_for", "iter_split", "split_text",),
    "incremental": ("IncrementalCounter",),
    "fastcount": ("DISABLE_ENV", "is_ready",),
    "largetext": ("LargeText", "as_prompt_text",),
    "vocab": ("SPECS", "VocabularyError", "preload", "cache_dir", "get_encoding", "is_loaded", "load_encoding", "parse_ranks", "vocabulary_path",),
})
