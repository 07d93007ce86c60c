"""Rule files to a checked, compiled rule set: assemble (继承, 通用), schema, build (the
model), resolve (every formula compiled), then the checks (semantics, meaning, families).
The half year (H1) is the year's rules transformed; rosters, the roster as columns."""
