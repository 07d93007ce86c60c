"""What is made of an evaluation or a rule set for people: result tables (report),
explanations (explain), the HTML report, semantic diffs, analyses, the archive's
publications, problem lists and attribution (cycle), `kaohe test` (testing, coverage) and
the formatter (fmt)."""
