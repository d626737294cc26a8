"""Masking personal data in what an export shows (GDPR minimisation, DOMAIN rule 9).

Identity numbers are found by the secrecy screen's own detector (`service/secrecy/detect.py`:
Luhn check, real date) and masked digit by digit, as the review queue shows them. E-mail
addresses are replaced whole: a masked export holds none, whether a commenter's (which lives in
its own object and is never read for a masked export) or one written in a text.
"""

from __future__ import annotations

import re

from service.secrecy.detect import find_identity_numbers, mask_identity_numbers

EMAIL_MASK = "[e-post maskerad]"
# Wide on purpose (a false mask costs little); never crosses markup or quotes, so it can run
# over sanitised HTML and JSON text without breaking either.
_LETTER = "A-Za-z\u00c0-\uffff"
_EMAIL = re.compile(
    rf"[^\s<>\"'(),;:@\[\]\\]+"  # the local part
    rf"@[{_LETTER}0-9](?:[{_LETTER}0-9-]*\.)+[{_LETTER}]{{2,}}"  # a domain with a dot
)


def find_email_addresses(text: str) -> list[str]:
    return _EMAIL.findall(text)


def mask_personal_data(text: str) -> str:
    """`text` with identity numbers masked (`XXXXXX-XXXX`) and e-mail addresses replaced."""
    return _EMAIL.sub(EMAIL_MASK, mask_identity_numbers(text))


def holds_personal_data(text: str) -> bool:
    """Whether masking would change `text`."""
    return bool(find_identity_numbers(text) or _EMAIL.search(text))
