"""Downloaded price files (LiteLLM, genai-prices): reading, matching to the catalog, diff and accepted writes."""
