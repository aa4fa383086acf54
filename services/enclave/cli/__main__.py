"""``enclave``: the command-line entry point (``enclave convert ...``, ``enclave import ...``)."""

from __future__ import annotations

import argparse
import sys

from enclave.cli import convert, import_project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="enclave", description="Enclave's tools for data scientists.")
    commands = parser.add_subparsers(dest="command", required=True)
    convert.add_parser(commands)
    import_project.add_parser(commands)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
