"""kaohe-rules: a year's comprehensive assessment (综合考核) as rule files, applied to its data."""

# The one place the version is written: pyproject.toml reads it ([tool.hatch.version]),
# and `kaohe --version` prints it with or without an installed distribution.
__version__ = "0.1.0"
