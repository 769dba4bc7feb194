"""Shared pieces every engine package uses: safe YAML, atomic writes, paths, numbers and problems."""
