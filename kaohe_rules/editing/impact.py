"""What a revision does, as ``kaohe diff OLD NEW --data DIR`` says it: the semantic diff of
two loaded rule sets and, with data, the units whose tier or labels change and the largest
rank moves. ``kaohe diff`` and the workbench (an unsaved edit against the saved files) both
call :func:`compare`; the workbench gets the edited rules from :func:`load_edited`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kaohe_rules.outputs.diff import Change, Move, changed_units, diff_rules, impact
from kaohe_rules.outputs.report import number_as_shown
from kaohe_rules.pipeline import Loaded, load_rules, run_loaded
from kaohe_rules.read.bundled import sample_notice
from kaohe_rules.read.records.choice import DUCKDB, EngineChoice
from kaohe_rules.rules.resolve import Resolved
from kaohe_rules.score.engine import Evaluation


@dataclass
class Impact:
    """A revision's changes and, when run on data, whom it moves."""

    changes: list[Change]
    moves: list[Move] | None = None  # every unit's old and new result; None without data
    notice: str | None = None  # the bundled sample's notice, when the data are it

    def changed(self) -> list[Move]:
        """The units whose tier or labels change."""
        return list(changed_units(self.moves)) if self.moves is not None else []

    def largest(self, top: int) -> list[Move]:
        """Per domain and category, the ``top`` units whose rank moved most."""
        groups: dict[tuple[str, str], list[Move]] = {}
        for move in self.moves or ():
            groups.setdefault((move.domain, move.category), []).append(move)
        out = []
        for key in sorted(groups, key=lambda k: (k[0], str(k[1]))):
            ranked = sorted(groups[key], key=lambda m: (-abs(m.new_rank - m.old_rank), m.unit.id))
            out += [m for m in ranked[:top] if m.new_rank != m.old_rank]
        return out


def load_edited(folder: Path, root: Path | None, overrides: Mapping[Path, str]) -> Loaded:
    """The rule set of ``folder`` as if the editor's buffers (absolute path → text) were
    saved; KaoheError with the problems ``kaohe validate`` would report."""
    from kaohe_rules.rules.buffers import buffers

    with buffers(overrides):
        return load_rules(folder, root)


def compare(
    before: Loaded,
    after: Loaded,
    data: Path | None = None,
    *,
    engine: EngineChoice = DUCKDB,
    old_result: Evaluation | None = None,
) -> Impact:
    """The diff of ``before`` and ``after`` and, given ``data``, both applied to it (each
    ignoring the other's data names). ``old_result``: ``before`` already run on that data
    as :func:`old_evaluation` runs it (the workbench keeps it between keystrokes)."""
    changes = diff_rules(before.resolved.ruleset, after.resolved.ruleset)
    if data is None:
        return Impact(changes)
    if old_result is None:
        old_result = old_evaluation(before, after, data, engine=engine)
    new_result = run_loaded(after, data, lenient=True, engine=engine)
    digits = (before.resolved.ruleset.precision, after.resolved.ruleset.precision)
    moves = [_as_shown(move, *digits) for move in impact(old_result, new_result)]
    return Impact(changes, moves, sample_notice(new_result.data))


def old_evaluation(
    before: Loaded, after: Loaded, data: Path, *, engine: EngineChoice = DUCKDB
) -> Evaluation:
    """The old rules on the data, as of the new rules' year (see :func:`_as_of`)."""
    return run_loaded(_as_of(before, after), data, lenient=True, engine=engine)


def _as_of(before: Loaded, after: Loaded) -> Loaded:
    """The old rules applied to the new rules' year: the data is that year's, so its
    history (历史.csv, history(1)) counts back from it, not from the old rules' year."""
    old, year = before.resolved, after.resolved.ruleset.year
    if old.ruleset.year == year:
        return before
    ruleset = replace(old.ruleset, year=year)
    return Loaded(Resolved(ruleset, old.programs), before.warnings)


def _as_shown(move: Move, old_digits: int, new_digits: int) -> Move:
    """A move with totals and numeric labels as evaluate writes them (each year's 精度,
    whole numbers as ints), so no label "changes" by binary noise alone."""

    def labels(found: dict, digits: int) -> dict:
        return {k: number_as_shown(v, digits) for k, v in found.items()}

    return replace(
        move,
        old_total=number_as_shown(move.old_total, old_digits),
        new_total=number_as_shown(move.new_total, new_digits),
        old_labels=labels(move.old_labels, old_digits),
        new_labels=labels(move.new_labels, new_digits),
    )


def move_dict(move: Move) -> dict:
    """A move as ``kaohe diff --format json`` writes it."""
    return {
        "编号": move.unit.id,
        "名称": move.unit.name,
        "领域": move.domain,
        "类别": move.category,
        "原名次": move.old_rank,
        "新名次": move.new_rank,
        "原等次": move.old_tier,
        "新等次": move.new_tier,
        "原总分": move.old_total,
        "新总分": move.new_total,
        "标签变化": {name: [old, new] for name, old, new in label_changes(move)},
    }


def label_changes(move: Move) -> list[tuple[str, object, object]]:
    """(label, old value, new value) for each label whose value differs, a label only one
    of the rule sets has included (None on the side without it): a label the new rules
    drop is a change too."""
    names = [*move.new_labels, *(k for k in move.old_labels if k not in move.new_labels)]
    found = [(k, move.old_labels.get(k), move.new_labels.get(k)) for k in names]
    return [(k, old, new) for k, old, new in found if old != new]
