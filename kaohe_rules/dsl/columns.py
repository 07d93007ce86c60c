"""Column helpers shared by the evaluator and the builtins: missing masks and choosing."""

from __future__ import annotations

import math
import sys

import numpy as np

from kaohe_rules.dsl.codes import object_missing


def missing_mask(value: object) -> np.ndarray | bool:
    """Where ``value`` (a column or a constant) is missing."""
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return object_missing(value)
        return np.isnan(value)
    if value is None or value is pandas_na():
        return True
    return isinstance(value, float) and math.isnan(value)


_NOTHING = object()


def pandas_na() -> object:
    """pd.NA when pandas is loaded, else an object no value is: only a loaded pandas can
    have made a pd.NA, so there is no need to load it to ask."""
    pandas = sys.modules.get("pandas")
    return _NOTHING if pandas is None else getattr(pandas, "NA", _NOTHING)


def choose(pick: object, a: object, b: object, unknown: object, text: bool) -> object:
    """``a`` where ``pick``, else ``b``; missing where ``unknown``.

    Text goes through object arrays: numpy would otherwise make a fixed-width
    string array of two text constants and turn a missing value into 'nan'.
    """
    if not text:
        return np.where(unknown, np.nan, np.where(pick, a, b))
    size = np.broadcast(pick, unknown, _shaped(a), _shaped(b)).shape
    out = np.empty(size, dtype=object)
    out[...] = b
    picked = np.broadcast_to(pick, size)
    out[picked] = np.broadcast_to(np.asarray(a, dtype=object), size)[picked]
    out[np.broadcast_to(unknown, size)] = None
    return out


def _shaped(value: object) -> object:
    return value if isinstance(value, np.ndarray) else 0
