"""The editor-facing servers on the editing services: ``kaohe lsp`` (lsp.py) and
``kaohe serve`` (the browser workbench). Protocols only; every check is kaohe_rules.editing's."""
