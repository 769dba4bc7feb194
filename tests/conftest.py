"""Shared test setup: headless Qt, no network, private folders, and the Hypothesis profile (tests/profiles.py)."""
from __future__ import annotations

import os
import socket

import pytest

from tests import profiles

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
profiles.load()  # before any test module builds its settings() objects from the active profile


@pytest.fixture(autouse=True, scope="session")
def _private_caches(tmp_path_factory):
    """Vocabulary and catalog caches live in a temp folder: tests never touch ~/.cache."""
    os.environ["TOKEN_BUDGET_CACHE_DIR"] = str(tmp_path_factory.mktemp("tb-cache"))
    yield


@pytest.fixture(autouse=True)
def _private_app_data(tmp_path_factory, monkeypatch):
    """User overrides, calibrations and autosaves go to a fresh folder: never the real app-data."""
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(tmp_path_factory.mktemp("app-data")))


class NetworkBlocked(RuntimeError):
    """Raised when code under test tries to open a network connection."""


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    """Pasted prompts are private: no test may open an outbound connection."""

    def refuse(*args, **kwargs):
        raise NetworkBlocked(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)  # UDP needs no connect()
    monkeypatch.setattr(socket.socket, "sendmsg", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for lookup in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):  # DNS leaks names
        monkeypatch.setattr(socket, lookup, refuse)
    yield


@pytest.fixture
def tiktoken_only(monkeypatch):
    """Count with tiktoken alone: the bpe-openai accelerator (core.tokens.fastcount) is off for this test."""
    from core.tokens import fastcount

    monkeypatch.setenv(fastcount.DISABLE_ENV, "1")
    fastcount._reset_for_tests()
    yield
    fastcount._reset_for_tests()  # rebuilt on next use, after monkeypatch restores the environment
