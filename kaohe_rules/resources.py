"""Finds the shipped data folders (grammar/, schemas/, rules/) in a wheel or a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def data_path(*parts: str) -> Path:
    """Path of a shipped file: inside the installed package, else in the checkout.

    The wheel copies the top-level folders to ``kaohe_rules/_data``; a checkout
    (tests, editable installs, ``python cli.py``) keeps them at the top level.
    """
    # The package's own folder, as importlib.resources.files would give it for a package
    # on disk; asked directly, since importing importlib.resources loads zipfile, shutil
    # and lzma at every start of a command.
    packaged = _PACKAGE.joinpath("_data", *parts)
    if packaged.exists():
        return packaged
    return _CHECKOUT.joinpath(*parts)
