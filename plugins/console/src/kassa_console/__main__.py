"""``python -m kassa_console [URL] [--replay FILE]``: the console without the full CLI.
The token comes from ``KASSA_API_TOKEN`` (not argv, which other users can read in ps)."""

from __future__ import annotations

import argparse
import os
import sys

from kassa.errors import UserError

from kassa_console.launch import run_console


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kassa_console")
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8765")
    parser.add_argument("--locale", choices=("ru", "en"), default="ru")
    parser.add_argument("--replay", help="a JSON-lines event log to play instead of a hub")
    parser.add_argument("--speed", type=float, default=10.0, help="replay speed (0: at once)")
    args = parser.parse_args(argv)
    token = os.environ.get("KASSA_API_TOKEN", "")
    if not token and not args.replay:
        print("set KASSA_API_TOKEN to the hub's admin token", file=sys.stderr)
        return 2
    try:
        run_console(args.url, token, args.locale, args.replay, speed=args.speed)
    except UserError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
