"""Thin entry: ``python cli.py ...`` is the installed ``kaohe`` command."""

from kaohe_rules.cli import main

if __name__ == "__main__":
    main()
