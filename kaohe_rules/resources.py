"""Finds the shipped data folders (grammar/, schemas/, rules/) in a wheel or a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def data_path(*parts: str) -> Path:
    """Path of a shipped file: inside the installed package, else in the checkout.

    The wheel copies the top-level folders to ``kaohe_rules/_data``; a checkout
    (tests, editable installs, ``python cli.py``) keeps them at the top level.
    """
    packaged = Path(str(resources.files("kaohe_rules").joinpath("_data", *parts)))
    if packaged.exists():
        return packaged
    return _CHECKOUT.joinpath(*parts)
