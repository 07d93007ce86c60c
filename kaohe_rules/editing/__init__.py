"""Editing rule files: diagnostics, completion, hover and impact over unsaved buffers."""
