"""The indicator manual as a Word document (python-docx), byte for byte the same for the
same rules: the document's dates are fixed and the zip members carry no clock time."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from kaohe_rules.outputs.manual import Heading, Manual, Paragraph, Table

# Word needs dates in the core properties; the rules' content, not the day the file was
# made, is what the document says, so a fixed date keeps two runs identical.
_FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip member can carry
_FONT = "宋体"  # the font official documents are set in; Word substitutes where missing


def render_docx(manual: Manual) -> bytes:
    """The .docx file's bytes."""
    import docx

    document = docx.Document()
    _set_fonts(document)
    _set_properties(document, manual)
    document.add_heading(manual.title, level=0)
    document.add_paragraph(manual.subtitle).style = document.styles["Subtitle"]
    for block in manual.blocks:
        if isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            document.add_paragraph(block.text)
        else:
            _table(document, block)
    buffer = io.BytesIO()
    document.save(buffer)
    return _without_clock(buffer.getvalue())


def _set_fonts(document) -> None:
    """Chinese text in 宋体: Word reads East Asian text's font from its own attribute."""
    from docx.oxml.ns import qn

    for name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3"):
        style = document.styles[name]
        style.font.name = _FONT
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _FONT)


def _set_properties(document, manual: Manual) -> None:
    props = document.core_properties
    props.title = f"{manual.title} {manual.subtitle}"
    props.author = props.last_modified_by = "kaohe"
    props.created = props.modified = _FIXED_DATE
    props.revision = 1


def _table(document, table: Table) -> None:
    grid = document.add_table(rows=1, cols=len(table.header))
    grid.style = document.styles["Table Grid"]
    for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in table.rows:
        for cell, text in zip(grid.add_row().cells, row, strict=True):
            cell.text = text


def _without_clock(data: bytes) -> bytes:
    """The same zip with every member dated _ZIP_DATE (zipfile stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info.filename))
    return out.getvalue()
