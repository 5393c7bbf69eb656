"""Intake's redaction of personal data in free text: examples, and the measured recall over
the labelled sets (issue 21: at least 0.95 for phone numbers, e-mail addresses and NIK)."""

from __future__ import annotations

import pytest

from intake.redaction import find, plausible_nik, redact
from tests.redaction_measure import SETS, labelled, measure


def test_a_phone_an_email_and_a_nik_become_placeholders():
    text = "Saya Budi, HP 0812-3456-7890, email budi@gmail.com, NIK 3273012504900003."
    redacted = redact(text)
    assert redacted.text == "Saya Budi, HP [telepon], email [email], NIK [NIK]."
    assert [f.kind for f in redacted.found] == ["phone", "email", "nik"]
    assert [f.value(text) for f in redacted.found] == [
        "0812-3456-7890",
        "budi@gmail.com",
        "3273012504900003",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Biaya akta diminta Rp 1.500.000 padahal gratis.",
        "Pemadaman pada 17-08-2024 di 3 RW.",
        "Saluran di RT 05 RW 03 tersumbat.",
        "Laporan lpr-2024-0001-abcd belum ditanggapi 14 hari kerja.",
    ],
)
def test_amounts_dates_and_addresses_stay(text):
    assert redact(text).text == text and not redact(text).changed


def test_a_nik_needs_a_province_and_a_birth_date():
    assert plausible_nik("3171054708850002")  # a woman's: day 47 = 7
    assert not plausible_nik("9971054708850002")  # no province 99
    assert not plausible_nik("3171051513850002")  # month 13
    assert not plausible_nik("3171053213850002")  # day 32
    assert not plausible_nik("317105470885000")  # 15 digits


def test_bank_accounts_and_plates_need_their_cue_or_their_form():
    assert [f.kind for f in find("transfer ke rek BCA 1234567890")] == ["bank_account"]
    assert find("sebanyak 1234567890 butir") == []
    assert [f.kind for f in find("mobil dinas D 1234 ABC parkir")] == ["vehicle_plate"]
    assert find("ruang B 12 lantai") == []


def test_recall_on_the_labelled_sets_is_at_least_095_for_phone_email_and_nik():
    rows = [row for name in SETS for row in labelled(name)]
    assert len(rows) >= 200
    scores = measure(rows)
    for kind in ("phone", "email", "nik"):
        assert scores[kind].recall >= 0.95, scores[kind]
    for score in scores.values():
        assert score.precision >= 0.9, score
