"""Applies the schema's Alembic migrations as the owner role: ``python -m enclave.db.migrate``.

Owns running migrations (there is no alembic.ini: the configuration is built here from settings,
so the one settings object stays the only source). Must never run as the api role.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def main() -> None:
    parser = argparse.ArgumentParser(description="Apply Enclave's database migrations.")
    parser.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    upgrade(parser.parse_args().revision)


if __name__ == "__main__":
    main()
