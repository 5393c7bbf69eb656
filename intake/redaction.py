"""Personal data in free text, found and replaced by placeholders (pure): phone numbers
(Indonesian and international forms), e-mail addresses (also written "nama [at] gmail [dot]
com"), NIK (16 digits with a plausible region and birth date), bank account numbers (after a
word that says so) and vehicle plates (an Indonesian region code, digits, letters).

Reporters write these into titles, descriptions and replies although a form asks for them
elsewhere; the event must carry the redacted text. `tests/redaction_measure.py` prints recall
and precision per kind over a labelled set (`tests/samples/redaction/`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDERS = {
    "phone": "[telepon]",
    "email": "[email]",
    "nik": "[NIK]",
    "bank_account": "[rekening]",
    "vehicle_plate": "[plat nomor]",
}
"""What stands in the text instead of each kind (in Bahasa Indonesia, as the texts are)."""

KINDS = tuple(PLACEHOLDERS)

PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53}
    | {61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97}
)
"""The first two digits of a NIK: a province (Kemendagri's codes, the new Papuan ones too)."""

PLATE_REGIONS = frozenset(
    [
        "A",
        "B",
        "D",
        "E",
        "F",
        "G",
        "H",
        "K",
        "L",
        "M",
        "N",
        "P",
        "R",
        "S",
        "T",
        "W",
        "Z",
        "AA",
        "AB",
        "AD",
        "AE",
        "AG",
        "BA",
        "BB",
        "BD",
        "BE",
        "BG",
        "BH",
        "BK",
        "BL",
        "BM",
        "BN",
        "BP",
        "DA",
        "DB",
        "DC",
        "DD",
        "DE",
        "DG",
        "DH",
        "DK",
        "DL",
        "DM",
        "DN",
        "DR",
        "DT",
        "DW",
        "EA",
        "EB",
        "ED",
        "KB",
        "KH",
        "KT",
        "KU",
        "PA",
        "PB",
        "PG",
        "PS",
        "PT",
        "PY",
    ]
)
"""Region codes of Indonesian number plates (Korlantas)."""

_AT = r"(?:\s?@\s?|\s?\[at\]\s?|\s?\(at\)\s?|\s?\{at\}\s?)"
_DOT = r"(?:\.|\s?\[dot\]\s?|\s?\(dot\)\s?|\s?\{dot\}\s?)"
"""A plain dot takes no space around it (else an address would run into the next sentence);
the spelled-out forms people use to fool harvesters may."""
_EMAIL = re.compile(
    rf"[A-Za-z0-9._%+-]+{_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}[A-Za-z]{{2,}}",
    re.IGNORECASE,
)
_DIGIT_RUN = re.compile(r"(?<![\w.,/])(?:\+|\(\+?)?\d(?:[\d\s().\-/]{0,24}\d)?(?![\w])")
"""A run of digits with the separators people type between them (spaces, dashes, dots,
brackets), not inside a word."""
_BANK_CUE = re.compile(
    r"(?:no\.?\s?)?(?:rek(?:ening)?\.?|norek|nomor\s+rekening|account|acc\.?|a/c|virtual\s+account|"
    r"\bva\b|bca|bri|bni|mandiri|bsi|btn|cimb(?:\s+niaga)?|danamon|permata|muamalat|jago|seabank|"
    r"transfer(?:\s+ke)?)\W{0,4}(?:[a-z]+\W{1,3}){0,3}$",
    re.IGNORECASE,
)
_MONEY_CUE = re.compile(r"(?:rp\.?|idr|usd|\$|rupiah)\s?$", re.IGNORECASE)
_NIK_CUE = re.compile(r"(?:nik|ktp|no\.?\s?ktp|nomor\s+induk\s+kependudukan)\W{0,6}$", re.I)
_PHONE_CUE = re.compile(
    r"(?:hp|telp|telepon|tlp|wa|whatsapp|nomor|no\.?|kontak|hubungi|call|phone|sms)\W{0,6}$",
    re.IGNORECASE,
)
_PLATE = re.compile(r"\b([A-Za-z]{1,2})\s?(\d{1,4})\s?([A-Za-z]{1,3})\b")
_PLATE_CUE = re.compile(
    r"(?:plat|pelat|nopol|no\.?\s?pol|nomor\s+polisi|kendaraan|mobil|motor|truk|angkot|bus)"
    r"\W{0,12}(?:[a-z]+\W{1,3}){0,2}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Found:
    """One piece of personal data in a text: its kind and where it stands."""

    kind: str
    start: int
    end: int

    def value(self, text: str) -> str:
        """The piece itself."""
        return text[self.start : self.end]


@dataclass(frozen=True)
class Redacted:
    """A text with its personal data replaced, and what was found (positions in the original)."""

    text: str
    found: tuple[Found, ...]

    @property
    def changed(self) -> bool:
        """True when anything was replaced."""
        return bool(self.found)


def plausible_nik(digits: str) -> bool:
    """16 digits whose first two name a province, with a birth day (plus 40 for women) and
    month where a NIK has them."""
    if len(digits) != 16 or not digits.isdigit():
        return False
    day, month = int(digits[6:8]), int(digits[8:10])
    day = day - 40 if day > 40 else day
    return int(digits[:2]) in PROVINCE_CODES and 1 <= day <= 31 and 1 <= month <= 12


def _kind_of_digits(run: str, before: str) -> str | None:
    """What a run of digits is, from its digits, its form and the words just before it."""
    digits = re.sub(r"\D", "", run)
    if _MONEY_CUE.search(before) or re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", run.strip()):
        return None  # an amount, "Rp 1.500.000"
    if _NIK_CUE.search(before) and 15 <= len(digits) <= 17:
        return "nik"
    if len(digits) == 16 and plausible_nik(digits) and not run.lstrip().startswith("+"):
        return "nik"
    if _BANK_CUE.search(before) and 6 <= len(digits) <= 18:
        return "bank_account"
    if _looks_like_phone(run, digits, before):
        return "phone"
    return None


def _looks_like_phone(run: str, digits: str, before: str) -> bool:
    stripped = run.strip().lstrip("(")
    if re.fullmatch(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}", stripped):
        return False  # a date
    if stripped.startswith("+") or digits.startswith(("62", "0062")):
        return 9 <= len(digits) <= 15
    if digits.startswith("08"):
        return 9 <= len(digits) <= 14
    if digits.startswith("0"):  # a landline with its area code, (022) 7234567
        return 9 <= len(digits) <= 12
    return bool(_PHONE_CUE.search(before)) and 9 <= len(digits) <= 13


def find(text: str) -> list[Found]:
    """Every piece of personal data in `text`, in order, none overlapping."""
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(Found(kind, start, end))

    for match in _EMAIL.finditer(text):
        add("email", match.start(), match.end())
    for match in _DIGIT_RUN.finditer(text):
        start, end = match.start(), match.end()
        # Separators at the edges belong to the sentence, not to the number.
        while end > start and not text[end - 1].isdigit():
            end -= 1
        if text[start] == "(" and ")" not in text[start:end]:
            start += 1
        kind = _kind_of_digits(text[start:end], text[max(0, start - 40) : start])
        if kind is not None:
            add(kind, start, end)
    for match in _PLATE.finditer(text):
        region, letters = match.group(1), match.group(3)
        before = text[max(0, match.start() - 40) : match.start()]
        shouted = region.isupper() and letters.isupper()
        if region.upper() in PLATE_REGIONS and (shouted or _PLATE_CUE.search(before)):
            add("vehicle_plate", match.start(), match.end())
    return sorted(found, key=lambda f: f.start)


def redact(text: str) -> Redacted:
    """`text` with every piece of personal data replaced by its kind's placeholder."""
    found = find(text)
    parts, position = [], 0
    for piece in found:
        parts += [text[position : piece.start], PLACEHOLDERS[piece.kind]]
        position = piece.end
    parts.append(text[position:])
    return Redacted("".join(parts), tuple(found))
