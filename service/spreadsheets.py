"""CSV files that people open in a spreadsheet: the public channel register, an export's
list of records."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, `;` between fields, CRLF lines: what Excel with Swedish
    regional settings opens correctly by double-click (and every CSV reader reads). Dates are
    ISO 8601, None an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(_cell(value) for value in row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)
