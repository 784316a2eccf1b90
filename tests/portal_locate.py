"""Locating by role what a table shows: a row's cell under a column head (the head's text)."""

from __future__ import annotations

from typing import Any


def cell(table: Any, row: Any, column: str) -> Any:
    """The cell of `row` under the column head `column` of `table` (a row's own head, a th, is
    not a cell: a table whose rows have one gives its column heads after that one)."""
    heads = table.get_by_role("columnheader").all_inner_texts()
    skipped = row.get_by_role("rowheader").count()
    return row.get_by_role("cell").nth(heads.index(column) - skipped)


def definitions(region: Any) -> dict[str, str]:
    """A definition list's terms and their definitions, as read (dt and dd, in their order)."""
    terms = region.get_by_role("term").all_inner_texts()
    return dict(zip(terms, region.get_by_role("definition").all_inner_texts(), strict=True))
