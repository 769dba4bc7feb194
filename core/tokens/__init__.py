"""Token counting: bundled vocabularies, exact and estimated counts, chat framing, large and edited texts."""
