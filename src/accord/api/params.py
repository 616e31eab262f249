"""Input types the API's operations share, declared so the schema refuses what the server does."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

# Database ids are 64-bit: a larger number names nothing, and the database cannot compare it.
ROW_ID_MAX = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX)]


def _iso_date(value: Any) -> Any:
    # pydantic would also read a number as seconds since 1970; the schema says "format: date".
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("write the date as YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("write the date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
