"""Thin entry: ``python cli.py ...`` is the installed ``kaohe`` command."""

from kaohe_rules.cli import run

if __name__ == "__main__":
    run()
