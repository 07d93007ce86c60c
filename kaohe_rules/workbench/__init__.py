"""The browser workbench (``kaohe serve``) and what it shares with editors: a layer between
the command line and ``kaohe_rules.editing``; it calls the pipeline and the editing
functions and adds no check of its own."""
