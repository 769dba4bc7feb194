"""Headless command line: parses sub-commands and dispatches them; never imports Qt."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any, Sequence

# Each entry names a module in cli that defines `add_parser(subparsers)`; the parser it adds
# sets `func(args) -> int` as its default. Modules are imported lazily so `count` never pays for
# the projection engine and vice versa.
COMMAND_MODULES: dict[str, str] = {
    "count": "cli.count_cmd",
    "cost": "cli.cost_cmd",
    "models": "cli.models_cmd",
    "project": "cli.project_cmd",
    "demo": "cli.project_cmd",
    "selfhost": "cli.selfhost_cmd",
    "prices": "cli.prices_cmd",
}


class CliError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 2, no traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage + exits 2; keep it one line
        raise CliError(f"{self.prog}: {message}")


def is_command(word: str) -> bool:
    return word in COMMAND_MODULES


def build_parser(command: str) -> argparse.ArgumentParser:
    parser = _Parser(prog="token-budget", description="Token Budget command line")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    module = importlib.import_module(COMMAND_MODULES[command])
    module.add_parser(sub)
    return parser


def emit_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def run(argv: Sequence[str]) -> int:
    """Run one sub-command; returns the process exit status."""
    try:
        if not argv or not is_command(argv[0]):
            raise CliError(f"unknown command {argv[0] if argv else ''!r}; "
                           f"choose one of: {', '.join(sorted(COMMAND_MODULES))}")
        try:
            parser = build_parser(argv[0])
        except ModuleNotFoundError as exc:
            raise CliError(f"command {argv[0]!r} is not available: {exc}") from None
        args = parser.parse_args(list(argv))
        return int(args.func(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not bad input: still one line unless debugging
        if os.environ.get("TOKEN_BUDGET_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set TOKEN_BUDGET_DEBUG=1 for details)",
              file=sys.stderr)
        return 70
