"""Scoring: a planned rule set and a year's data to every unit's result.

The meaning of scoring reads in ``indicators``, ``papers``, ``adjustments`` and
``ranking``, stage by stage (``engine.STAGES``); the speed techniques (batches of
indicators sharing a formula, blocks of items, quotas per group) live in ``fast``,
behind one seam the stages call, and can be switched off (``fast=False``,
``KAOHE_REFERENCE=1``) to run the reference path alone.
"""
