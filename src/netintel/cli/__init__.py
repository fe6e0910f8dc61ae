"""The ``netintel`` console script.

Each subcommand lives in its own module of this package with a ``register(subparsers)``
function that adds its parser and sets ``func`` to a callable taking the parsed arguments and
returning an exit code. Every subcommand that produces results takes ``--json``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import NetintelError

__all__ = ["main", "build_parser"]

# Subcommand modules, in the order they appear in --help. A module missing here is not loaded.
COMMANDS = (
    "ingest", "report", "resolve", "pprl", "communities", "centrality", "paths", "disrupt",
    "timeline", "switches", "jurisdictions", "jit", "mla", "routes", "surrender", "priorities", "retention", "export",
    "brief", "search", "prum",
)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="netintel", description="Cross-border criminal network intelligence from partners' shared data.")
    parser.add_argument("--version", action="version", version=f"netintel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}_cmd":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except NetintelError as exc:
        print(f"netintel {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
