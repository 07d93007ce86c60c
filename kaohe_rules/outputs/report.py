"""Result tables and files: terminal table, CSV, JSON, XLSX. No rule logic lives here.

Outputs are deterministic (same rules and data give the same bytes: fixed
order, fixed number formatting, fixed timestamps inside the XLSX archive) and
written atomically (a temporary file renamed over the target), so an
interrupted run never leaves a half-written file. The rows hold each number as the
terminal shows it (rounded to the rule set's 精度, whole numbers as integers), so a
file and the terminal never disagree; data that are the bundled synthetic sample
say so in every format (bundled.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from kaohe_rules.dsl.numeric import round_vector
from kaohe_rules.outputs.numbers import as_read as _as_read
from kaohe_rules.outputs.numbers import label_value as _label
from kaohe_rules.outputs.numbers import number as _number
from kaohe_rules.outputs.numbers import plain
from kaohe_rules.read.bundled import sample_notice
from kaohe_rules.score.engine import Evaluation, reference_requested
from kaohe_rules.score.ranking import tier_order
from kaohe_rules.source import align, cell_text


def number_as_shown(value: object, digits: int) -> object:
    """Any result value as outputs write it: a number rounded to ``digits`` (an int when
    whole, None when missing), anything else unchanged."""
    if isinstance(value, float | np.floating):
        return _number(value, digits)
    return value


CHUNK_ROWS = 65_536  # result rows built at a time when a table is written out


def result_rows(evaluation: Evaluation) -> tuple[list[str], list[list[object]]]:
    """The 结果 table: one row per unit, domains in rule-set order, units in roster order."""
    header, chunks = result_row_chunks(evaluation)
    return header, [row for chunk in chunks for row in chunk]


def result_row_chunks(
    evaluation: Evaluation,
) -> tuple[list[str], Iterator[list[list[object]]]]:
    """The 结果 table's header and its rows a domain at a time: a million units' rows are
    written out without all being held at once."""
    digits = evaluation.resolved.ruleset.precision
    papers = list(dict.fromkeys(p for d in evaluation.domains for p in d.papers))
    labels = list(dict.fromkeys(name for d in evaluation.domains for name in d.labels))
    header = ["编号", "名称", "领域", "类别", *papers, "加分", "扣分", "一票否决", "总分"]
    header += ["名次", "排名人数", "等次", *labels]

    def chunks() -> Iterator[list[list[object]]]:
        for d in evaluation.domains:
            for start in range(0, len(d.units), CHUNK_ROWS):
                yield _result_chunk(d, slice(start, start + CHUNK_ROWS), papers, labels, digits)

    return header, chunks()


def _result_chunk(d, rows: slice, papers: list[str], labels: list[str], digits: int) -> list:
    """Result rows for the units ``rows`` of one domain, built column by column (one
    rounding pass per column, not a Decimal per cell)."""
    positions = range(len(d.units))[rows]
    ids = d.population.columns
    empty = [None] * len(positions)
    columns = [
        *(ids[f"unit.{name}"][rows].tolist() for name in ("编号", "名称", "领域")),
        list(d.category[rows]),
        *(_numbers(d.papers[p][rows], digits) if p in d.papers else empty for p in papers),
        _numbers(d.bonus[rows], digits),
        _numbers(d.deduction[rows], digits),
        np.where(d.veto[rows], "是", "否").tolist(),
        _numbers(d.total[rows], digits),
        d.rank[rows].astype(np.int64).tolist(),
        d.size[rows].astype(np.int64).tolist(),
        list(d.tier[rows]),
        *([_label(d, name, i, digits) for i in positions] for name in labels),
    ]
    return list(map(list, zip(*columns, strict=True)))


def _numbers(column: np.ndarray, digits: int) -> list[float | None]:
    """A column as _number gives each value: rounded, no -0.0, None where missing."""
    rounded = round_vector(np.asarray(column, dtype=np.float64), digits) + 0.0
    return [None if v != v else plain(v) for v in rounded.tolist()]


def indicator_rows(evaluation: Evaluation) -> tuple[list[str], list[list[object]]]:
    """The 指标得分 table: one row per unit and indicator that applies to it."""
    header, rows, _percent = indicator_table(evaluation)
    return header, rows


def indicator_table(evaluation: Evaluation) -> tuple[list[str], list[list[object]], list[bool]]:
    """indicator_rows, and for each row whether its 值 is a share (the unit's indicator has
    单位 %: 0.0293 is 2.93%), which a workbook shows as a percent."""
    digits = evaluation.resolved.ruleset.precision
    header = ["编号", "名称", "领域", "考卷", "指标", "值", "满分", "得分", "说明"]
    rows, percent = [], []
    for d in evaluation.domains:
        values = d.population.columns
        indicators = list(dict.fromkeys((i.paper, i.id) for i in d.indicators))
        for i, unit in enumerate(d.units):
            for paper, key in indicators:
                if not d.applicable[key][i]:
                    continue
                note = "缺少数据，剔除折算" if d.excluded[key][i] else ""
                raw = values[key][i]
                rows.append(
                    [
                        unit.id,
                        unit.name,
                        unit.domain,
                        paper,
                        key,
                        _as_read(raw),
                        _number(d.full[key][i], digits),
                        _number(d.scores[key][i], digits),
                        note,
                    ]
                )
                percent.append(d.owner[key][i].unit_of_measure == "%")
    return header, rows, percent


def category_rows(evaluation: Evaluation) -> tuple[list[str], list[list[object]]]:
    """The 分类统计 table: units and tier counts per domain and category (平均总分 to
    two decimals, 最高 and 最低 as the totals are written)."""
    digits = evaluation.resolved.ruleset.precision
    tiers = tier_order([d.domain for d in evaluation.domains])
    header = ["领域", "类别", "单位数", *tiers, "平均总分", "最高总分", "最低总分"]
    rows = []
    for d in evaluation.domains:
        for category in dict.fromkeys(d.category):
            members = d.category == category
            totals = d.total[members]
            row = [d.domain.name, category, int(members.sum())]
            row += [int((d.tier[members] == t).sum()) for t in tiers]
            row += [_number(totals.mean(), 2), _number(totals.max(), digits)]
            row.append(_number(totals.min(), digits))
            rows.append(row)
    return header, rows


def special_rows(evaluation: Evaluation) -> tuple[list[str], list[list[object]]]:
    """The 专项考核 table: each special assessment's units, results and what they gave."""
    digits = evaluation.resolved.ruleset.precision
    given = list(
        dict.fromkeys(
            f"计入{c.kind}" if c.kind != "标签" else c.name
            for done in evaluation.specials
            for c in done.special.contributions
        )
    )
    header = ["专项考核", "编号", "名称", "领域", "类别", "总分", "名次", "人数", "等次", *given]
    rows = []
    for done in evaluation.specials:
        d = done.result
        for i, unit in enumerate(d.units):
            row = [done.special.name, unit.id, unit.name, unit.domain, d.category[i]]
            row += [_number(d.total[i], digits), int(d.rank[i]), int(d.size[i]), d.tier[i]]
            values = {}
            for item, column in done.values.items():
                kind = evaluation.resolved.program(item.expr).type.kind
                name = f"计入{item.kind}" if item.kind != "标签" else item.name
                if kind == "bool" or item.kind == "一票否决":
                    values[name] = "是" if column[i] == 1.0 else "否"
                elif kind == "number":
                    values[name] = _number(column[i], digits)
                else:
                    values[name] = column[i]
            rows.append(row + [values.get(name) for name in given])
    return header, rows


def text_table(evaluation: Evaluation) -> str:
    """A terminal table of every unit's total, rank and tier."""
    header, rows = result_rows(evaluation)
    keep = ["编号", "名称", "领域", "类别", "总分", "名次", "等次"]
    keep += [h for h in header[header.index("等次") + 1 :]]
    index = [header.index(k) for k in keep]
    lines = align([keep] + [[cell_text(row[i]) for i in index] for row in rows])
    lines.append(
        f"共 {len(rows)} 个考核对象 · {evaluation.year_label} · 指纹 {evaluation.fingerprint}"
    )
    notice = sample_notice(evaluation.data)
    if notice:
        lines.append(notice)
    return "\n".join(lines)


def _csv_bytes(
    header: list[str],
    chunks: Iterable[list[list[object]]],
    fingerprint: str,
    notice: str | None = None,
) -> bytes:
    """The CSV file (a fingerprint comment line, the header, the rows), encoded as it is
    written a chunk of rows at a time: no whole copy of a million rows as text. The
    sample notice shares the one comment line, so readers that skip it still work."""
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    text.write(f"# 指纹 {fingerprint}" + (f" · {notice}" if notice else "") + "\n")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for rows in chunks:
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    text.flush()
    content = out.getvalue()
    text.detach()
    return content


def _tables(evaluation: Evaluation) -> dict[str, tuple[list[str], list[list[object]]]]:
    tables = {
        "结果": result_rows(evaluation),
        "指标得分": indicator_rows(evaluation),
        "分类统计": category_rows(evaluation),
    }
    if evaluation.specials:
        tables["专项考核"] = special_rows(evaluation)
    return tables


def _json_text(evaluation: Evaluation) -> str:
    """The JSON file as one json.dumps of every table's rows: the reference."""
    body = {
        **_json_head(evaluation),
        **{name: _objects(table) for name, table in _tables(evaluation).items()},
        "警告": _warnings(evaluation),
    }
    return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def _json_head(evaluation: Evaluation) -> dict:
    """The JSON file's fields before its tables."""
    ruleset = evaluation.resolved.ruleset
    return {
        "年度": ruleset.year,
        "期间": evaluation.period,
        "规则集": ruleset.name,
        "指纹": evaluation.fingerprint,
        **sample_fields(evaluation),
    }


def _objects(table: tuple[list[str], list[list[object]]]) -> list[dict]:
    header, rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def _warnings(evaluation: Evaluation) -> list[dict]:
    return [_portable(w.to_dict(), evaluation) for w in evaluation.warnings]


def sample_fields(evaluation: Evaluation) -> dict:
    """``示例数据`` (true when the data are the bundled synthetic sample, or some of its
    files) and then ``数据说明`` saying so: fields of every JSON output."""
    notice = sample_notice(evaluation.data)
    return {"示例数据": True, "数据说明": notice} if notice else {"示例数据": False}


def _portable(warning: dict, evaluation: Evaluation) -> dict:
    """A warning naming its file relative to the rule set or data folder, not as the path was
    typed: the same inputs elsewhere have the same fingerprint, so they give the same bytes."""
    from kaohe_rules.source import display_path

    rules = evaluation.resolved.ruleset.folder.resolve()
    names = {}
    for path, folder in [
        *((f, rules) for f in evaluation.resolved.ruleset.files),
        *((f, f.resolve().parent) for f in evaluation.data.files),
    ]:
        portable = os.path.relpath(path.resolve(), folder).replace(os.sep, "/")
        names[display_path(path)] = names[str(path)] = portable
    for remote in evaluation.data.remote_files:  # under a --records-root: by name, as above
        names[remote.uri] = remote.name
    if warning["file"] in names:
        warning["file"] = names[warning["file"]]
    return warning


def _xlsx_bytes(evaluation: Evaluation) -> bytes:
    from kaohe_rules.outputs.excel import Sheet, workbook

    sheets = {name: Sheet(header, rows) for name, (header, rows) in _tables(evaluation).items()}
    header, rows, percent = indicator_table(evaluation)
    sheets["指标得分"] = Sheet(header, rows, {"值": percent})
    described = {name: XLSX_SHEETS[name] for name in sheets}
    about = about_rows([evaluation], RESULT_CONTENT, described)
    # Sample data: the workbook opens on 说明, whose first row says so.
    active = "说明" if sample_notice(evaluation.data) else None
    return workbook(sheets, about, tier_levels_of(evaluation), active)


RESULT_CONTENT = "计算结果：每个考核对象的考卷得分、总分、名次、等次和标签"
XLSX_SHEETS = {
    "结果": "每个考核对象一行：各考卷得分、加分、扣分、一票否决、总分、名次、等次和标签",
    "指标得分": "每个考核对象的每个适用指标一行：值、满分、得分（单位为 % 的指标，值显示为百分数）",
    "分类统计": "每个领域、类别的单位数、各等次人数和总分分布",
    "专项考核": "每项专项考核的单位、结果和计入综合考核的内容",
}


def about_rows(
    evaluations: list[Evaluation], content: str, sheets: dict[str, str]
) -> list[list[object]]:
    """The 说明 sheet of a workbook: the sample notice if any, what it is, then each
    year's rule set and fingerprint, and what each sheet holds."""
    notices = [n for n in (sample_notice(e.data) for e in evaluations) if n]

    def per_year(value) -> object:
        if len(evaluations) == 1:
            return value(evaluations[0])
        return "；".join(f"{e.resolved.ruleset.year}：{value(e)}" for e in evaluations)

    # The sample notice comes first: the workbook opens on this sheet to show it.
    rows: list[list[object]] = [["数据", notices[0]]] if notices else []
    rows.append(["内容", content])
    years = [e.resolved.ruleset.year for e in evaluations]
    rows.append(["年度", years[0] if len(years) == 1 else "、".join(map(str, years))])
    rows.append(["期间", per_year(lambda e: e.period)])
    rows.append(["规则集", per_year(lambda e: e.resolved.ruleset.name)])
    rows.append(["指纹", per_year(lambda e: e.fingerprint)])
    rows.append(["说明", "指纹是规则文件与数据文件内容的哈希，用于复现和审计"])
    rows += [[f"工作表 {name}", text] for name, text in sheets.items()]
    return rows


def tier_levels_of(*evaluations: Evaluation) -> dict[str, int]:
    """Each tier name's level (score.ranking.tier_levels) over the domains and special
    assessments of ``evaluations``: what colours a 等次 cell in a workbook."""
    from kaohe_rules.score.ranking import tier_levels

    levels: dict[str, int] = {}
    for evaluation in evaluations:
        domains = [d.domain for d in evaluation.domains]
        domains += [s.result.domain for s in evaluation.specials]
        for name, level in tier_levels(domains).items():
            levels.setdefault(name, level)
    return levels


# Units from which the 结果 and 指标得分 tables are written by columns (columns_out.py);
# both writers give the same bytes. Below it the row writer is done before pyarrow would be
# loaded (0.3 s). JSON goes by columns sooner: the row writer's indented json.dumps runs
# the pure-Python encoder over every cell of 指标得分 (0.12 s at 429 units, 4.5 s at 10,000,
# against 0.4 s by columns). Once pyarrow is loaded anyway (a Parquet input, a large roster
# or data file), CSV goes by columns from LOADED_COLUMNAR_FROM (10,000 units: 0.06 s by
# rows, 0.02 s by columns).
COLUMNAR_FROM = 20_000
JSON_COLUMNAR_FROM = 2_000
LOADED_COLUMNAR_FROM = 2_000


def _by_columns(units: int, suffix: str, pyarrow_loaded: bool) -> bool:
    if reference_requested():
        return False
    if suffix == ".json":
        return units >= JSON_COLUMNAR_FROM
    least = LOADED_COLUMNAR_FROM if pyarrow_loaded else COLUMNAR_FROM
    return units >= least


def render(evaluation: Evaluation, suffix: str, columnar: bool | None = None) -> bytes:
    """The file contents for an output name ending in .csv, .json, .parquet or .xlsx."""
    return b"".join(render_parts(evaluation, suffix, columnar))


def render_parts(
    evaluation: Evaluation, suffix: str, columnar: bool | None = None
) -> Iterator[bytes | memoryview]:
    """render's contents in parts, to be written out as they come (a million units'
    CSV is never whole in memory). ``columnar`` chooses the writer of CSV and JSON
    (default: by columns from a number of units, see COLUMNAR_FROM; by rows below it or
    when KAOHE_REFERENCE asks for the reference path); Parquet is written by columns."""
    if columnar is None:
        units = sum(len(d.units) for d in evaluation.domains)
        columnar = _by_columns(units, suffix, "pyarrow" in sys.modules)
    if suffix == ".csv":
        yield from _csv_parts(evaluation, columnar)
    elif suffix == ".json":
        yield from _json_parts(evaluation) if columnar else [_json_text(evaluation).encode()]
    elif suffix == ".parquet":
        yield _parquet_bytes(evaluation)
    elif suffix == ".xlsx":
        yield _xlsx_bytes(evaluation)
    else:
        raise ValueError(suffix)


def _csv_parts(evaluation: Evaluation, columnar: bool) -> Iterator[bytes | memoryview]:
    notice = sample_notice(evaluation.data)
    if not columnar:
        header, chunks = result_row_chunks(evaluation)
        yield _csv_bytes(header, chunks, evaluation.fingerprint, notice)
        return
    from kaohe_rules.outputs import columns_out, table_columns

    header, chunks = table_columns.result_columns(evaluation)
    yield _csv_bytes(header, [], evaluation.fingerprint, notice)  # the two lines before rows
    yield from columns_out.csv_rows(chunks)


def _json_parts(evaluation: Evaluation) -> Iterator[bytes | memoryview]:
    """_json_text's bytes, the two large tables written by columns."""
    from kaohe_rules.outputs import columns_out, table_columns

    fields = [
        *_json_head(evaluation).items(),
        ("结果", columns_out.json_rows(*table_columns.result_columns(evaluation))),
        ("指标得分", columns_out.json_rows(*table_columns.indicator_columns(evaluation))),
        ("分类统计", _objects(category_rows(evaluation))),
        *([("专项考核", _objects(special_rows(evaluation)))] if evaluation.specials else []),
        ("警告", _warnings(evaluation)),
    ]
    yield from columns_out.json_object(fields)


def _parquet_bytes(evaluation: Evaluation) -> bytes:
    """The 结果 table as Parquet: the CSV's columns, typed; its comment line as metadata."""
    from kaohe_rules.outputs import columns_out, table_columns

    header, _ = table_columns.result_columns(evaluation)
    notice = sample_notice(evaluation.data)
    notes = {"指纹": evaluation.fingerprint, **({"数据说明": notice} if notice else {})}
    types = table_columns.result_types(evaluation, header)
    return columns_out.parquet_bytes(
        header, types, lambda: table_columns.result_columns(evaluation)[1], notes
    )


def write_atomically(path: Path, content: bytes | Iterable[bytes | memoryview]) -> None:
    """Write ``content`` (bytes, or parts of them in order) to a temporary file beside
    ``path``, then rename it over ``path``."""
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            for part in [content] if isinstance(content, bytes) else content:
                stream.write(part)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private; give it the permissions a new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
