"""Every stable error code is documented in docs/errors.md, and nothing else is."""

from __future__ import annotations

import re

from kaohe_rules.diagnostics import CODES
from tests.conftest import ROOT


def test_every_code_is_documented_with_its_name() -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (KH\d{3}) \| ([a-z-]+) \|", text, re.M))
    assert rows == CODES
