"""Entry point: the desktop app by default, headless sub-commands (count, cost, models, ...) otherwise."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from cli import is_command, run

    # `main.py plan.yaml` opens that plan in the app, as a double-click or a file manager would.
    if args and not is_command(args[0]) and args[0].lower().endswith((".yaml", ".yml")):
        args = ["--scenario", args[0], *args[1:]]
    # Anything else that is not an option is a sub-command (an unknown one gets a one-line error).
    if args and (is_command(args[0]) or not args[0].startswith("-")):
        return run(args)
    from gui.app import run_gui  # Qt is imported only on this path

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
