"""The comparison finds what it must: these tests are only as strong as ``differences``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.reference.paths import KaoheError, Source, evaluate_both
from tests.reference.same import differences, explained

GOLDEN = Source(
    ROOT / "tests" / "golden" / "evaluate" / "rules",
    ROOT / "tests" / "golden" / "evaluate" / "data",
)


def _golden():
    outcomes = evaluate_both(GOLDEN)
    return outcomes["reference"], outcomes["fast"]


def _replace(array: np.ndarray, at: int, value: object) -> np.ndarray:
    changed = np.array(array)
    changed[at] = value
    return changed


def _set(result, name: str, key: str | None, change) -> None:
    if key is None:
        setattr(result, name, change(getattr(result, name)))
    else:
        getattr(result, name)[key] = change(getattr(result, name)[key])


CHANGES = {
    "the last bit of a score": ("scores", "增速", lambda a: _replace(a, 0, np.nextafter(a[0], 0))),
    "a zero's sign": ("scores", "增速", lambda a: _replace(a, 14, -a[14])),
    "a number for NaN": ("scores", "成本率", lambda a: _replace(a, 6, 0.0)),
    "a dtype": ("total", None, lambda a: a.astype(np.float32)),
    "a view's shape": ("full", "增速", lambda a: a.reshape(1, -1)),
    "a tier": ("tier", None, lambda a: _replace(a, 0, "第二等次")),
    "a text's type": ("tier", None, lambda a: _replace(a, 0, np.str_(a[0]))),
    "an owner": ("owner", "增速", lambda a: _replace(a, 0, dataclasses.replace(a[0], id="x"))),
    "a veto": ("veto", None, lambda a: ~a),
    "a label": ("labels", "先进单位", lambda a: _replace(a, 0, np.nan)),
}  # fmt: skip


def test_the_paths_agree_on_the_golden_year() -> None:
    assert differences(*_golden()) == []


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_is_found(change: str) -> None:
    reference, fast = _golden()
    name, key, how = CHANGES[change]
    _set(fast.domains[0], name, key, how)
    (found,) = differences(reference, fast)
    assert found.startswith(f"domain 甲 {name}")


def test_key_order_warnings_fingerprint_and_refusals_are_found() -> None:
    reference, fast = _golden()
    scores = fast.domains[1].scores
    fast.domains[1].scores = dict(reversed(scores.items()))
    fast.warnings = fast.warnings[::-1]
    fast.fingerprint = "0" * 16
    found = differences(reference, fast)
    assert [f.split(":")[0] for f in found] == [
        "warnings #0",
        "fingerprint",
        "domain 乙 scores keys",
    ]
    refused = KaoheError(reference.warnings)
    assert differences(reference, refused)[0].startswith("outcome:")
    reworded = [dataclasses.replace(reference.warnings[0], message="?"), *reference.warnings[1:]]
    assert differences(refused, KaoheError(reworded))[0].startswith("error #")


def test_a_changed_explanation_is_found() -> None:
    reference, fast = _golden()
    assert explained(reference, fast) == []
    result = fast.domains[0]
    result.scores["增速"] = _replace(result.scores["增速"], 0, 29.5)
    (found,) = explained(reference, fast)
    assert found.startswith("explain J01 :")
