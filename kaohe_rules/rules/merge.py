"""Year inheritance: a later year's file is a JSON Merge Patch (RFC 7396) on the earlier one.

- a mapping merges key by key, recursively;
- a key whose value is ``null`` (``~``) is removed; one that is not there to remove
  stays ``null``, for the schema to report (an empty value is never dropped unseen);
- any other value (a number, a text, a list) replaces the earlier one whole.

Positions travel with the values, so a problem in the merged rules still
points at the file and line that wrote the value.
"""

from __future__ import annotations

from kaohe_rules.rules.loader import YMap


def merge_patch(base: object, patch: object) -> object:
    """``patch`` applied to ``base``; neither is modified."""
    if not isinstance(patch, YMap):
        return patch
    merged = _copy_map(base) if isinstance(base, YMap) else YMap(patch.file, patch.span)
    # The newest file that writes a mapping is where a problem with it is shown.
    merged.file, merged.span = patch.file, patch.span
    for key, where in patch.deleted.items():
        if key not in merged:
            merged.deleted[key] = where
    for key, value in patch.items():
        if value is None and key not in merged:
            # Nothing to delete: an empty value the schema must see, not drop ({上限：1}
            # is the key "上限：1" with no value, {计分: max(a, b)} leaves the key "b)",
            # a misspelt key after ~ deletes nothing). Kept as written, so it is named.
            merged[key] = None
            merged.keys_at[key] = patch.keys_at[key]
            merged.values_at[key] = patch.values_at[key]
            continue
        if value is None:
            for table in (merged, merged.keys_at, merged.values_at, merged.origins):
                table.pop(key, None)
            merged.deleted[key] = patch.keys_at[key]
            continue
        merged.deleted.pop(key, None)
        merged[key] = merge_patch(merged.get(key), value)
        merged.keys_at[key] = patch.keys_at[key]
        merged.values_at[key] = patch.values_at[key]
        if key in patch.origins:
            merged.origins[key] = patch.origins[key]
        else:
            merged.origins.pop(key, None)
    return merged


def _copy_map(source: YMap) -> YMap:
    copy = YMap(source.file, source.span)
    copy.update(source)
    copy.keys_at.update(source.keys_at)
    copy.values_at.update(source.values_at)
    copy.origins.update(source.origins)
    copy.deleted.update(source.deleted)
    return copy


def strip_key(document: YMap, key: str) -> YMap:
    """A copy of ``document`` without ``key`` (e.g. 继承, which is not inherited)."""
    return merge_patch(document, _null_patch(document, key))


def _null_patch(document: YMap, key: str) -> YMap:
    patch = YMap(document.file, document.span)
    patch[key] = None
    patch.keys_at[key] = document.keys_at.get(key, document.span)
    patch.values_at[key] = document.values_at.get(key, document.span)
    return patch
