"""Identity numbers and words that may make a document secret.

Numbers are built here from a date and a serial with the check digit computed, so no real
person's number is written down; 1912-12-12 and 2012-12-12 are dates no one is likely to
mistake for their own, and 19121212-1212 is the well-known example number.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from service.secrecy.detect import (
    Detector,
    DocumentField,
    Finding,
    IdentityKind,
    Reason,
    find_identity_numbers,
    mask_identity_numbers,
)
from service.secrecy.terms import DEFAULT_TERMS

TODAY = date(2026, 5, 1)


def check_digit(first_nine: str) -> str:
    """Luhn the textbook way: double every other digit from the left, add up digit sums."""
    total = sum(sum(divmod(int(d) * w, 10)) for d, w in zip(first_nine, (2, 1) * 5, strict=False))
    return str(-total % 10)


def number(yymmdd: str, serial: str = "121") -> str:
    """A ten-digit number, YYMMDDNNNN, with a valid check digit."""
    return yymmdd + serial + check_digit(yymmdd + serial)


VALID = number("121212")  # 1212121212


def test_well_known_example_number_has_a_valid_check_digit() -> None:
    assert VALID == "1212121212"


def test_personnummer_with_valid_luhn_is_found() -> None:
    text = "Mitt personnummer är 121212-1212, ring mig."

    [hit] = find_identity_numbers(text, today=TODAY)

    assert (hit.start, hit.end, hit.text) == (21, 32, "121212-1212")
    assert text[hit.start : hit.end] == hit.text
    assert hit.normalised == "201212121212"  # a ten-digit number means someone under 100
    assert hit.kind is IdentityKind.PERSONNUMMER


@pytest.mark.parametrize("wrong", sorted(set("0123456789") - {VALID[-1]}))
def test_personnummer_with_bad_luhn_not_flagged(wrong: str) -> None:
    text = f"121212-121{wrong} och 19121212-121{wrong}"

    assert find_identity_numbers(text, today=TODAY) == []


@pytest.mark.parametrize(
    "written",
    [
        pytest.param(f"{number('121312')[:6]}-{number('121312')[6:]}", id="month 13"),
        pytest.param(f"{number('120012')[:6]}-{number('120012')[6:]}", id="month 00"),
        pytest.param(f"{number('121200')[:6]}-{number('121200')[6:]}", id="day 00"),
        pytest.param(f"{number('121232')[:6]}-{number('121232')[6:]}", id="day 32"),
        pytest.param(f"{number('120230')[:6]}-{number('120230')[6:]}", id="30 February"),
        pytest.param(f"{number('230229')[:6]}-{number('230229')[6:]}", id="29 Feb 2023"),
        pytest.param(f"{number('000229')[:6]}+{number('000229')[6:]}", id="29 Feb 1900"),
        pytest.param(f"19{number('000229')}", id="29 Feb 1900, year written"),
        pytest.param(f"{number('121292')[:6]}-{number('121292')[6:]}", id="coordination day 32"),
        pytest.param(f"{number('121260')[:6]}-{number('121260')[6:]}", id="coordination day 0"),
        pytest.param(f"20{number('301212')}", id="born after today"),
        pytest.param(f"17{VALID}", id="year 1712"),
    ],
)
def test_impossible_date_not_flagged(written: str) -> None:
    assert find_identity_numbers(f"Nummer: {written}.", today=TODAY) == []


def test_leap_day_counts_in_the_century_it_resolves_to() -> None:
    leap_day = number("000229")

    [hit] = find_identity_numbers(f"{leap_day[:6]}-{leap_day[6:]}", today=TODAY)

    assert hit.normalised == f"20{leap_day}"


def test_coordination_number_found() -> None:
    coordination = number("121272")  # born 12 December 2012: day 12 + 60

    [hit] = find_identity_numbers(f"Samordningsnr {coordination}", today=TODAY)

    assert hit.kind is IdentityKind.SAMORDNINGSNUMMER
    assert hit.normalised == f"20{coordination}"


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        pytest.param("121212-1212", "201212121212", id="YYMMDD-NNNN"),
        pytest.param("121212+1212", "191212121212", id="YYMMDD+NNNN"),
        pytest.param("1212121212", "201212121212", id="YYMMDDNNNN"),
        pytest.param("121212 1212", "201212121212", id="YYMMDD NNNN"),
        pytest.param("121212\u00a01212", "201212121212", id="YYMMDD(no-break space)NNNN"),
        pytest.param("121212\u20131212", "201212121212", id="YYMMDD(en dash)NNNN"),
        pytest.param("121212\u22121212", "201212121212", id="YYMMDD(minus sign)NNNN"),
        pytest.param("19121212-1212", "191212121212", id="YYYYMMDD-NNNN"),
        pytest.param("191212121212", "191212121212", id="YYYYMMDDNNNN"),
        pytest.param("19121212 1212", "191212121212", id="YYYYMMDD NNNN"),
        pytest.param("20121212-1212", "201212121212", id="YYYYMMDD-NNNN, 2000s"),
    ],
)
def test_all_written_forms_found(written: str, normalised: str) -> None:
    text = f"Skrivet: {written}."

    [hit] = find_identity_numbers(text, today=TODAY)

    assert (hit.start, hit.text, hit.normalised) == (9, written, normalised)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"Ordernummer 0019{VALID}", id="inside a 14-digit number"),
        pytest.param(f"Ordernummer 4{VALID}", id="digit before"),
        pytest.param(f"Ordernummer {VALID}5", id="digit after"),
        pytest.param(f"Ordernummer 19{VALID}99", id="twelve digits inside fourteen"),
        pytest.param("Konto 9-121212-1212", id="number joined before by a hyphen"),
        pytest.param("Konto 121212-1212-5", id="number joined after by a hyphen"),
        pytest.param("Konto 1+121212-1212", id="number joined before by a plus"),
        pytest.param("Referens 121212-12123", id="five digits after the separator"),
        pytest.param(f"Referens AB{VALID}", id="letters before"),
        pytest.param(f"Referens {VALID}x", id="letters after"),
        pytest.param(f"Fil rapport_{VALID}", id="underscore before"),
        # A phone number that happened to pass date and Luhn would be flagged, and that is
        # accepted; this one fails the check digit.
        pytest.param("Ring 0701234567 eller 070-123 45 67", id="mobile number"),
        pytest.param("Ring +46701234567", id="mobile number, country code"),
        pytest.param("Organisationsnummer 556677-8899", id="organisation number"),
    ],
)
def test_digits_inside_longer_numbers_not_flagged(text: str) -> None:
    assert find_identity_numbers(text, today=TODAY) == []


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("121212-1212", "201212121212"),
        ("121212+1212", "191212121212"),
        # Born 1 May 2026 or 1926: 0 or exactly 100 years old today.
        (f"260501-{number('260501')[6:]}", f"20{number('260501')}"),
        (f"260501+{number('260501')[6:]}", f"19{number('260501')}"),
        # Born 2 May: 99 if 1926, so "+" means 1826.
        (f"260502-{number('260502')[6:]}", f"19{number('260502')}"),
        (f"260502+{number('260502')[6:]}", f"18{number('260502')}"),
    ],
)
def test_plus_separator_means_centenarian(written: str, normalised: str) -> None:
    [hit] = find_identity_numbers(written, today=TODAY)

    assert hit.normalised == normalised


def test_plus_separator_with_four_digit_year_not_flagged() -> None:
    assert find_identity_numbers("19121212+1212", today=TODAY) == []


def test_mask_hides_every_digit() -> None:
    coordination = number("121272")
    text = f"Ring 19121212-1212, {coordination[:6]}+{coordination[6:]} eller inte 121212-1213."

    masked = mask_identity_numbers(text, today=TODAY)

    assert masked == "Ring XXXXXXXX-XXXX, XXXXXX+XXXX eller inte 121212-1213."


def test_mask_leaves_text_without_numbers_alone() -> None:
    assert mask_identity_numbers("Inga nummer här, bara 2026.", today=TODAY) == (
        "Inga nummer här, bara 2026."
    )


def test_terms_match_whole_words_and_prefixes() -> None:
    detector = Detector(["diagnos*", "LSS", "ekonomiskt bistånd*"])
    title = "Ansökan om LSS-insats"
    text = "Diagnosen ställdes i maj. Vi söker ekonomiskt\n  biståndet. Klassisk prediagnos, LSSX."

    findings = detector.scan(title, text, today=TODAY)

    assert [(f.field, f.match, f.term) for f in findings] == [
        (DocumentField.TITLE, "LSS", "LSS"),
        (DocumentField.TEXT, "Diagnosen", "diagnos*"),
        (DocumentField.TEXT, "ekonomiskt\n  biståndet", "ekonomiskt bistånd*"),
    ]
    assert all(f.reason is Reason.TERM for f in findings)
    sources = {DocumentField.TITLE: title, DocumentField.TEXT: text}
    assert all(sources[f.field][f.start : f.end] == f.match for f in findings)


@pytest.mark.parametrize(
    ("term", "text", "matches"),
    [
        ("ar", "år, bår och får", []),
        ("år", "bår och årsskiftet", []),
        ("år", "Ett ÅR senare", ["ÅR"]),
        ("rd", "vård och gård", []),
        ("öra", "att höra", []),
        ("vård*", "VÅRDCENTRALEN", ["VÅRDCENTRALEN"]),
    ],
)
def test_ar_is_not_år(term: str, text: str, matches: list[str]) -> None:
    findings = Detector([term]).scan("", text, today=TODAY)

    assert [f.match for f in findings] == matches


def test_findings_name_the_field_and_come_in_order() -> None:
    findings = Detector(["sjukdom*"]).scan(
        "121212-1212", "Sjukdomen, 19121212-1212 och sjukdomar", today=TODAY
    )

    assert findings == [
        Finding(Reason.PERSONNUMMER, DocumentField.TITLE, "XXXXXX-XXXX", 0, 11),
        Finding(Reason.TERM, DocumentField.TEXT, "Sjukdomen", 0, 9, "sjukdom*"),
        Finding(Reason.PERSONNUMMER, DocumentField.TEXT, "XXXXXXXX-XXXX", 11, 24),
        Finding(Reason.TERM, DocumentField.TEXT, "sjukdomar", 29, 38, "sjukdom*"),
    ]


def test_findings_never_contain_the_number() -> None:
    coordination = number("121272")
    numbers = ["19121212-1212", f"{coordination[:6]}+{coordination[6:]}", "121212\u20131212"]
    text = "Uppgifter: " + ", ".join(numbers)

    findings = Detector().scan(numbers[0], text, today=TODAY)
    hits = find_identity_numbers(text, today=TODAY)

    assert [f.reason for f in findings] == [
        Reason.PERSONNUMMER,
        Reason.PERSONNUMMER,
        Reason.SAMORDNINGSNUMMER,
        Reason.PERSONNUMMER,
    ]
    assert [f.match for f in findings] == [
        "XXXXXXXX-XXXX",
        "XXXXXXXX-XXXX",
        "XXXXXX+XXXX",
        "XXXXXX\u2013XXXX",
    ]
    stored = repr(findings) + repr([dataclasses.asdict(f) for f in findings])
    logged = repr(hits)
    for written in numbers:
        serial = written[-4:]
        assert serial not in stored
        assert serial not in logged


def test_default_terms_flag_health_and_social_services() -> None:
    text = "Jag är sjukskriven och har kontakt med socialtjänsten. Journalisten ringde."

    findings = Detector().scan("", text, today=TODAY)

    assert [f.term for f in findings] == ["sjukskriv*", "socialtjänst*"]
    assert len(DEFAULT_TERMS) < 25


@pytest.mark.parametrize("term", ["", "   ", "*", "dia*gnos", "*diagnos"])
def test_malformed_terms_are_refused(term: str) -> None:
    with pytest.raises(ValueError, match="not a term"):
        Detector(["diagnos*", term])


def test_same_term_twice_is_one_term() -> None:
    assert Detector(["LSS", "lss", " LSS "]).terms == ("LSS",)


def test_longer_term_wins_where_two_match_at_one_place() -> None:
    findings = Detector(["social*", "socialtjänst*"]).scan("", "Socialtjänsten", today=TODAY)

    assert [(f.match, f.term) for f in findings] == [("Socialtjänsten", "socialtjänst*")]


def test_positions_hold_when_a_letter_lowers_to_two() -> None:
    text = "İzmir, diagnosen"  # "İ".lower() is two characters

    [finding] = Detector(["diagnos*"]).scan("", text, today=TODAY)

    assert text[finding.start : finding.end] == finding.match == "diagnosen"
