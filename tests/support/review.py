"""Identity numbers for secrecy tests, and the review API as a reviewer and a registry system
use it.

Numbers are built from a date and a serial with the check digit computed, so no real person's
number is written down (12 December 1912/2012 and the textbook serial)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def check_digit(first_nine: str) -> str:
    total = sum(sum(divmod(int(d) * w, 10)) for d, w in zip(first_nine, (2, 1) * 5, strict=False))
    return str(-total % 10)


def identity_number(yymmdd: str = "121212", serial: str = "121") -> str:
    """YYMMDD-NNNN with a valid check digit; add 60 to the day for a samordningsnummer."""
    return f"{yymmdd}-{serial}{check_digit(yymmdd + serial)}"


PERSONNUMMER = identity_number()  # 121212-1212
SAMORDNINGSNUMMER = identity_number("121272")  # born 12 December 2012, day + 60
BAD_LUHN = PERSONNUMMER[:-1] + str((int(PERSONNUMMER[-1]) + 1) % 10)


def queue(client: FlaskClient, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    answer = client.get("/v1/review", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json  # type: ignore[no-any-return]


def decide(
    client: FlaskClient, headers: dict[str, str], record_id: str, decision: str, note: str = ""
) -> dict[str, Any]:
    answer = client.post(
        f"/v1/records/{record_id}/review",
        json={"decision": decision, "note": note or None},
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.json  # type: ignore[no-any-return]


def register(
    client: FlaskClient, headers: dict[str, str], record_id: str, **body: Any
) -> dict[str, Any]:
    answer = client.put(f"/v1/records/{record_id}/registration", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json  # type: ignore[no-any-return]
