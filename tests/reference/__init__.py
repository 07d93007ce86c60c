"""The fast scoring path gives exactly what the reference path gives (issue 18, item 3).

What is proved, for every input below: `evaluate_year` with its speed techniques
(indicators batched by formula shape, twin domains fused, categories, quotas, paper
places and item blocks kept for the rule set, compiled numpy formulas, one-name
formulas read as columns) returns the same evaluation as the plain reference path,
cold (a freshly loaded rule set) and warm (the same rule set evaluated again):

- every array of every domain's and special assessment's DomainResult (category,
  applicable, excluded, scores, full, owner, papers, paper_weights, bonus, deduction,
  items, veto, vetoes, total, groups, rank, size, order, tier, tier_rule, labels),
  bit for bit: the same dtype and shape, the same numbers, NaN where NaN and the same
  sign of zero; the same keys in the same order; owners as the same indicators;
  a special assessment's contributions and what they give each domain; label
  types, units, indicator lists and each domain's own warnings;
- the warnings (code, severity, message, span, hint, context) in their order, and the
  fingerprint;
- or the same KaoheError, diagnostics and all, when the data are refused (报错,
  a declared range, a percent scale mixed up).

The inputs (test_fixtures.py, test_random.py):

- the official rule sets: rules/2023 with samples/2023, rules/2024 with samples/2024,
  and the 2024 half year with samples/2024半年;
- every rule-set fixture under tests/ with data beside it (golden, scale, special,
  data_checks, expressiveness, safety, cli_data …), some in the half year;
- the hand-checked `kaohe test` cases of rules/2023, rules/2024 and the fixtures
  (their tests/*.yaml): `kaohe test` runs them by the reference path (it records
  branch coverage), and they pass by the fast path too, with the same results;
- random rule sets and data from random_rules.py (see its docstring), twin domains
  among them.

paths.py holds the switch (`evaluate_reference`) and is the one module importing the
package's stages; same.py is the comparison, and test_same.py shows what it catches.
"""
