"""kaohe-rules: a year's comprehensive assessment (综合考核) as rule files, applied to its data."""

import os

# The one place the version is written: pyproject.toml reads it ([tool.hatch.version]),
# and `kaohe --version` prints it with or without an installed distribution.
__version__ = "0.1.0"

# openpyxl reads and writes XML through lxml whenever lxml is installed (python-docx, for
# `kaohe doc`, brings it), and its XLSX bytes then differ from those of its own writer.
# Outputs must not depend on what else is installed (decision 80): openpyxl reads this
# once, when first imported; a user's own OPENPYXL_LXML still wins.
os.environ.setdefault("OPENPYXL_LXML", "False")
