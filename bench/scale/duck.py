"""DuckDB for the issue-20 rules: one query over the same files, the result written with COPY.

    python bench/scale/duck.py FORM DIR -o OUT.csv       # FORM: data-csv, data-parquet, …

The data are read where they lie (read_csv / read_parquet; the wide forms unpivoted,
which drops empty cells), the roster from DIR/名单.csv, and the rules from small
parameter tables made of DIR/spec.json: indicators per domain, 一单位一策 overrides
per unit, items, papers, and one row a domain (policy, caps, tier percentages).

Two facts of the rules the query leans on, as a person writing it would: every unit's
papers sum their 满分 to the paper's weight (kaohe validate checks it), so 剔除折算
rescales to the weight; a unit with no value in a paper scores 0 there.

Rounding reads the double at its 15 significant digits first, as the engine does
(``engine_round``): a score lying on a decimal half is often just below it as a double.
``SUM`` adds in whatever order its threads meet the rows, not in the rules' order as the
engine does; that moves the last bits of a paper in about one cell in five, which the
15-digit reading absorbs (no rounded cell differs at any N; check.py would say so).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import Spec, competitor_main


def _values(rows: list[tuple]) -> str:
    def literal(v) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, str):
            return _text(v)
        return repr(float(v))

    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


def parameter_tables(spec: Spec) -> list[str]:
    """CREATE statements of the rule tables (a few hundred rows whatever N)."""
    ind, papers, items, doms = [], [], [], []
    for d in spec.domains:
        doms.append(
            (d.name, d.missing == "剔除折算", d.bonus_cap, d.deduction_cap, d.top_pct, d.bottom_pct)
        )
        for k, p in enumerate(d.papers):
            papers.append((d.name, k, p.weight, p.name))
            ind += [(d.name, i.id, k, i.marks, i.floor, i.target) for i in p.indicators]
        items += [(d.name, i.id, "bonus", i.per, i.cap) for i in d.bonus]
        items += [(d.name, i.id, "deduction", i.per, i.cap) for i in d.deduction]
    overrides: dict[tuple[str, str], dict] = {}
    for v in spec.variants:
        d = spec.domain(v.domain)
        paper_no = {p.name: k for k, p in enumerate(d.papers)}
        for name in v.deleted:
            overrides.setdefault((v.unit, name), {})["deleted"] = True
        for paper, i in v.added:
            row = {"paper": paper_no[paper], "marks": i.marks, "floor": i.floor}
            row.update(target=i.target, added=True)
            overrides.setdefault((v.unit, i.id), {}).update(row)
        for name, key, value in v.adjust:
            overrides.setdefault((v.unit, name), {})["marks" if key == "满分" else "target"] = value
    fields = ("paper", "marks", "floor", "target")
    ovr = [
        (unit, name, *(o.get(f) for f in fields), o.get("deleted", False), o.get("added", False))
        for (unit, name), o in overrides.items()
    ]
    tables = [
        ("ind(domain, name, paper, marks, floor, target)", ind),
        ("papers(domain, paper, weight, pname)", papers),
        ("items(domain, name, kind, per, cap)", items),
        ("doms(domain, drop_missing, bonus_cap, deduction_cap, top_pct, bottom_pct)", doms),
        ("ovr(id, name, paper, marks, floor, target, deleted, added)", ovr),
    ]
    out = [rounding_macro()]
    for head, rows in tables:
        name, columns = head.split("(", 1)
        if not rows:  # no 一单位一策 (tiny N): an empty table of the same shape
            out.append(
                f"CREATE TABLE {name} AS SELECT * FROM (VALUES ('', '', 0, 0.0, 0.0, 0.0, "
                f"FALSE, FALSE)) t({columns} WHERE FALSE"
            )
            continue
        out.append(f"CREATE TABLE {name} AS SELECT * FROM (VALUES {_values(rows)}) t({columns}")
    return out


def data_source(folder: Path, form: str, spec: Spec) -> str:
    """A relation (id, name, x) of every value given in DIR/FORM."""
    files = sorted((folder / form).iterdir())
    path = _text(str(files[0]))
    wide = form.startswith("data-wide")
    if files[0].suffix == ".parquet":
        reader = f"read_parquet({path})"
    elif wide:
        types = ", ".join(f"{_text(c)}: 'DOUBLE'" for c in spec.wide_columns)
        reader = f"read_csv({path}, header = true, types = {{'编号': 'VARCHAR', {types}}})"
    else:
        types = "{'编号': 'VARCHAR', '指标': 'VARCHAR', '值': 'DOUBLE'}"
        reader = f"read_csv({path}, header = true, types = {types})"
    if wide:
        return (
            f"(SELECT 编号 AS id, 指标 AS name, 值 AS x FROM (UNPIVOT (SELECT * FROM {reader}) "
            "ON COLUMNS(* EXCLUDE (编号)) INTO NAME 指标 VALUE 值))"
        )
    return f"(SELECT 编号 AS id, 指标 AS name, 值 AS x FROM {reader})"


def _rounded(expression: str, spec: Spec) -> str:
    """``expression`` rounded half up to 精度 as the engine rounds, as a DOUBLE."""
    return f"engine_round({expression}, {spec.precision})"


def rounding_macro() -> str:
    """``engine_round(x, k)``: half up on the double's 15-significant-digit decimal reading,
    the engine's rule (README "Rounding"; kaohe_rules.dsl.numeric.round_vector). A score
    lying on a half in decimals is often just below it as a double: 7 × (69.76 − 78) /
    (14 − 78) is 0.90125 in decimals, 0.9012499999999994 as a double, whose 15-digit
    reading 0.901249999999999 rounds down. The reading is the correctly rounded
    ``printf('%.15g')`` (a cast to DECIMAL multiplies in double first and can land on the
    other side of the half); like the engine, only values within 1e-12 of a half take
    that slow path, the rest round in doubles."""
    scaled = "abs(x * 10 ** k)"
    near = f"abs({scaled} - floor({scaled}) - 0.5) <= {scaled} * 1e-12 + 1e-12"
    exact = "CAST(ROUND(CAST(printf('%.15g', x) AS DECIMAL(38, 18)), k) AS DOUBLE)"
    fast = f"sign(x) * floor({scaled} + 0.5) / 10 ** k"
    return f"CREATE MACRO engine_round(x, k) AS CASE WHEN {near} THEN {exact} ELSE {fast} END"


def _text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def query(folder: Path, form: str, spec: Spec) -> str:
    """The result table: the engine's columns (see reference.py), one row a unit."""
    roster = _text(str(folder / "名单.csv"))
    names = spec.paper_names
    pivot = ",\n    ".join(
        f"MAX(score) FILTER (WHERE pname = {_text(name)}) AS {_quoted('p_' + name)}"
        for name in names
    )
    # a paper of the unit's domain with no value left scores 0; another domain's is empty
    owners = {
        name: [d.name for d in spec.domains if name in {p.name for p in d.papers}] for name in names
    }
    shown = ", ".join(
        f"CASE WHEN domain IN ({', '.join(map(_text, owners[name]))}) THEN "
        f"{_rounded('coalesce(' + _quoted('p_' + name) + ', 0)', spec)} END AS {_quoted(name)}"
        for name in names
    )
    total = _rounded(
        "coalesce(ps.papers, 0) + LEAST(coalesce(a.bonus, 0), d.bonus_cap) "
        "- LEAST(coalesce(a.ded, 0), d.deduction_cap)",
        spec,
    )
    return f"""
WITH u AS (
  SELECT 编号 AS id, 名称 AS uname, 领域 AS domain, 类型 AS cat
  FROM read_csv({roster}, header = true, all_varchar = true)
),
v AS (SELECT v.id, v.name, v.x, u.domain, u.cat FROM {data_source(folder, form, spec)} v
      JOIN u ON u.id = v.id),
scored AS (
  SELECT v.id, v.domain,
    coalesce(o.paper, i.paper) AS paper,
    coalesce(o.marks, i.marks) AS marks,
    coalesce(o.marks, i.marks) * LEAST(GREATEST(
      (v.x - coalesce(o.floor, i.floor))
        / (coalesce(o.target, i.target) - coalesce(o.floor, i.floor)), 0), 1) AS s
  FROM v
  LEFT JOIN ovr o ON o.id = v.id AND o.name = v.name
  LEFT JOIN ind i ON i.domain = v.domain AND i.name = v.name
  WHERE (i.name IS NOT NULL OR coalesce(o.added, FALSE)) AND NOT coalesce(o.deleted, FALSE)
),
per_paper AS (
  SELECT s.id, s.domain, s.paper, SUM(s.s) AS total, SUM(s.marks) AS counted
  FROM scored s GROUP BY s.id, s.domain, s.paper
),
unit_papers AS (
  SELECT pp.id, p.pname,
    CASE WHEN d.drop_missing AND pp.counted < p.weight
         THEN pp.total / pp.counted * p.weight ELSE pp.total END AS score
  FROM per_paper pp
  JOIN papers p ON p.domain = pp.domain AND p.paper = pp.paper
  JOIN doms d ON d.domain = pp.domain
),
paper_scores AS (
  SELECT id, SUM(score) AS papers,
    {pivot}
  FROM unit_papers GROUP BY id
),
adjust AS (
  SELECT v.id,
    coalesce(SUM(LEAST(v.x * it.per, it.cap)) FILTER (WHERE it.kind = 'bonus'), 0) AS bonus,
    coalesce(SUM(LEAST(v.x * it.per, it.cap)) FILTER (WHERE it.kind = 'deduction'), 0) AS ded,
    coalesce(MAX(v.x) FILTER (WHERE v.name = {_text(spec.veto_item)}), 0) > 0 AS veto
  FROM v JOIN items it ON it.domain = v.domain AND it.name = v.name
  GROUP BY v.id
),
totals AS (
  SELECT u.id, u.uname, u.domain, u.cat, d.top_pct, d.bottom_pct,
    coalesce(a.veto, FALSE) AS veto, ps.* EXCLUDE (id, papers),
    LEAST(coalesce(a.bonus, 0), d.bonus_cap) AS bonus,
    LEAST(coalesce(a.ded, 0), d.deduction_cap) AS ded,
    {total} AS total
  FROM u JOIN doms d ON d.domain = u.domain
  LEFT JOIN paper_scores ps ON ps.id = u.id
  LEFT JOIN adjust a ON a.id = u.id
),
ranked AS (  -- the window functions over the few columns they need
  SELECT id, top_pct, bottom_pct,
    ROW_NUMBER() OVER (PARTITION BY domain, cat ORDER BY total DESC, id) AS rank,
    COUNT(*) OVER (PARTITION BY domain, cat) AS size,
    SUM(CAST(veto AS INTEGER)) OVER (PARTITION BY domain, cat) AS vetoed,
    ROW_NUMBER() OVER (PARTITION BY domain, cat, veto ORDER BY total DESC, id) AS from_top,
    COUNT(*) OVER (PARTITION BY domain, cat, veto) AS kept
  FROM (SELECT id, domain, cat, top_pct, bottom_pct, veto, total FROM totals)
)
SELECT t.id AS 编号, uname AS 名称, domain AS 领域, '类' || cat AS 类别, {shown},
  {_rounded("bonus", spec)} AS 加分, {_rounded("ded", spec)} AS 扣分,
  CASE WHEN veto THEN '是' ELSE '否' END AS 一票否决,
  total AS 总分, rank AS 名次, size AS 排名人数,
  CASE WHEN veto THEN '第三等次'
       WHEN kept - from_top + 1 <= GREATEST((size * r.bottom_pct + 50) // 100 - vetoed, 0)
         THEN '第三等次'
       WHEN from_top <= size * r.top_pct // 100 THEN '第一等次'
       ELSE '第二等次' END AS 等次
FROM totals t JOIN ranked r ON r.id = t.id ORDER BY t.id
"""


def run(folder: Path, form: str, output: Path) -> None:
    """Files to result file: connect, make the rule tables, one query written by COPY."""
    import duckdb

    spec = Spec.from_json(folder / "spec.json")
    con = duckdb.connect()
    for statement in parameter_tables(spec):
        con.execute(statement)
    target = _text(str(output))
    con.execute(f"COPY ({query(folder, form, spec)}) TO {target} (HEADER, DELIMITER ',')")
    con.close()


def main() -> None:
    competitor_main(run, __doc__)


if __name__ == "__main__":
    main()
