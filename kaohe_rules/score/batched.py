"""A batch's scores stored at once: what indicators.missing_policy and indicators.keep
store for each of its indicators, one pass over the block for all of them.

The meaning is theirs (indicators.py): a unit the indicator applies to without a score
is missing; 记零分 scores it 0, 剔除折算 excludes it (the paper rescales); either warns,
KH306, naming the first units. 报错 never comes here: indicators.py raises it, in the
rules' order. The warnings are returned by indicator id, for indicators.py to tell in
the rules' order too, among those of the indicators scored one by one.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.score.fast import Block
from kaohe_rules.score.scorer import DomainScorer


def keep_block(scorer: DomainScorer, block: Block) -> dict[str, Diagnostic]:
    """Store every row of ``block`` as missing_policy then keep() would, and return the
    missing-data warning of each indicator that has one."""
    r = scorer.result
    ids = [i.id for i in block.indicators]
    everyone = all(a is block.everyone for a in block.applies)
    if not block.missing.any() and everyone:  # every unit applies and counts
        rows = list(block.scores)
        r.applicable.update(dict.fromkeys(ids, block.everyone))
        r.excluded.update(dict.fromkeys(ids, block.no_one))
        r.scores.update(zip(ids, rows, strict=True))
        r.full.update(zip(ids, block.full, strict=True))
        r.owner.update(zip(ids, block.owner, strict=True))
        r.population.columns.update(zip((f"{key}.得分" for key in ids), rows, strict=True))
        scorer.fast.settled(block, block.scores)
        return {}
    scores = block.scores
    missing = np.isnan(scores) if block.missing.any() else None
    if missing is not None:
        for row, applies in enumerate(block.applies):
            if applies is not block.everyone:
                missing[row] &= applies
    excluding = np.array([i.missing == "剔除折算" for i in block.indicators]) & block.missing
    zeroing = block.missing & ~excluding
    if zeroing.any():
        scores = np.where(zeroing[:, None] & missing, 0.0, scores)
    if not excluding.any():
        scorer.fast.settled(block, scores)  # every score counts: papers may sum it down
    told = {}
    for row, indicator in enumerate(block.indicators):
        applies, result = block.applies[row], scores[row]
        excluded = missing[row] if excluding[row] else block.no_one
        if block.missing[row]:
            how = "剔除后折算" if excluding[row] else "记零分"
            message = f"指标 {indicator.id} 缺少数据，{how}"
            told[indicator.id] = scorer.warning("KH306", message, missing[row], indicator.span)
        key = indicator.id
        r.applicable[key], r.excluded[key], r.scores[key] = applies, excluded, result
        r.full[key], r.owner[key] = block.full[row], block.owner[row]
        counts = applies is block.everyone and not excluding[row]
        shown = result if counts else np.where(applies & ~excluded, result, np.nan)
        scorer.set(f"{key}.得分", shown)
    return told
