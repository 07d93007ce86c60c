"""Paper scores: the sum of a paper's indicator scores, rescaled where indicators were
excluded (剔除折算) or the paper says 折算; or the paper's own formula.

Rescaling: a unit whose indicators were excluded scores its counted points out of the
counted 满分, scaled to the 满分 of all its applicable indicators; a 折算 paper scores
counted points out of counted 满分, scaled to its weight. A unit with nothing left to
rescale from scores 0, with a warning.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.score.plan import PaperPlan
from kaohe_rules.score.scorer import DomainScorer


def score(scorer: DomainScorer) -> None:
    """Every paper of the domain, in file order."""
    for planned in scorer.planned.papers:
        paper = planned.paper
        scorer.result.paper_weights[paper.id] = planned.weights
        if paper.formula is not None:
            local = dict(scorer.result.population.columns)
            local["权重"] = planned.weight
            result = scorer.run(paper.formula, scorer.result.population.with_columns(local))
            result = _missing_formula(scorer, planned, result)
        else:
            result = scorer.fast.paper_sum(scorer, planned)
            if result is None:
                result = sum_indicators(scorer, planned)
        scorer.result.papers[paper.id] = result
        scorer.set(paper.id, result)


def _missing_formula(scorer: DomainScorer, planned: PaperPlan, result: np.ndarray) -> np.ndarray:
    paper = planned.paper
    missing = np.isnan(result)
    if not missing.any():
        return result
    if scorer.domain.missing == "报错":
        names = [u.name for u, h in zip(scorer.result.units, missing, strict=True) if h]
        message = f"考卷 {paper.id} 缺少数据，无法计分：{'、'.join(names)}"
        raise KaoheError([Diagnostic("KH306", message, paper.span)])
    # A formula paper has nothing to rescale from, whatever the policy: it scores 0.
    scorer.warn("KH306", f"考卷 {paper.id} 的计分公式缺少数据，记零分", missing, paper.span)
    return np.where(missing, 0.0, result)


def sum_indicators(scorer: DomainScorer, planned: PaperPlan) -> np.ndarray:
    """The paper's indicator scores added in file order, rescaled as the module says."""
    r, paper = scorer.result, planned.paper
    total = np.zeros(scorer.size)
    rescaled = np.zeros(scorer.size, dtype=bool)
    full_applicable = np.zeros(scorer.size)
    full_counted = np.zeros(scorer.size)
    for key in planned.members:
        counted = r.applicable[key] & ~r.excluded[key]
        total += np.where(counted, r.scores[key], 0.0)
        rescaled |= r.excluded[key]
        full_applicable += np.where(r.applicable[key], r.full[key], 0.0)
        full_counted += np.where(counted, r.full[key], 0.0)
    nothing = full_counted == 0  # every indicator excluded: nothing to rescale from
    if nothing.any():
        message = f"考卷 {paper.id} 的指标全部缺少数据，无法折算，记零分"
        scorer.warn("KH306", message, nothing & (rescaled | paper.rescale), paper.span)
    with np.errstate(invalid="ignore", divide="ignore"):
        if paper.rescale:
            result = total / full_counted * planned.weight
        else:
            result = np.where(rescaled, total / full_counted * full_applicable, total)
    return np.where(nothing, 0.0, result)
