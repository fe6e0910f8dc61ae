"""Normalisation of what identifies an entity, so that values written differently compare equal.

Names are transliterated to Latin script (Cyrillic, Arabic, Greek ... via ``anyascii``), folded
to lower case without diacritics, stripped of honorifics, split into tokens; given names map to a
canonical variant (``schema/name_variants.yaml``: "Sasha" and "Aleksandr" are one given name);
a consonant *skeleton* makes transliteration spellings ("Youssef", "Yusuf", "يوسف") agree.
Phones go to E.164 with ``phonenumbers`` (the reporting agency's country is the default region),
IBANs are checksum-validated (ISO 13616 mod 97), e-mails, crypto wallets, vehicle plates and
identity documents get canonical keys, and dates of birth may be partial (year, year-month).

Examples
--------
>>> normalize_name("ПЕТРОВ Александр")
'aleksandr petrov'
>>> normalize_name("Petrov, Alex") == normalize_name("Dr. Alex PETROV")
True
>>> canonical_given("Sasha") == canonical_given("Aleksandr")
True
>>> skeleton("Youssef") == skeleton("يوسف") == skeleton("Yusuf")
True
>>> phone_e164("06 12345678", "NL")
'+31612345678'
>>> iban("nl91 abna 0417 1643 00")
'NL91ABNA0417164300'
>>> iban("NL92ABNA0417164300") is None         # checksum fails
True
>>> PartialDate.parse("12.03.1985"), PartialDate.parse("1985-03"), PartialDate.parse("1985")
(PartialDate(year=1985, month=3, day=12), PartialDate(year=1985, month=3, day=None), PartialDate(year=1985, month=None, day=None))
>>> PartialDate.parse("1985").compatible(PartialDate.parse("12.03.1985"))
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from anyascii import anyascii

__all__ = [
    "transliterate", "fold", "name_tokens", "normalize_name", "canonical_given", "skeleton", "name_variants",
    "phone_e164", "iban", "email", "crypto_wallet", "plate", "document", "PartialDate", "identifier_key",
    "organisation_name", "normalize_text",
]

_HONORIFICS = frozenset("""
mr mrs ms miss dr prof sir herr frau hr fr dhr mevr mevrouw heer sr sra srta don dona dott ing mgr
sheikh shaykh cheikh hajj haji hadji el-hajj bay bey bayan hanim sayyid gospodin gospozha g-n g-zha
""".split())

_LEGAL_FORMS = frozenset("""
bv b.v nv n.v vof cv gmbh ag kg ug ohg ltd limited llc inc corp corporation plc sa s.a sl s.l sas sarl srl s.r.l
spa s.p.a ooo zao oao ao eood ood ad doo d.o.o as a.s sro s.r.o kft zrt bvba sprl lp llp co company
ltd. inc. sa. sarl. holding holdings group
""".split())


def transliterate(text: str) -> str:
    """Latin-script ASCII rendering of any script (Cyrillic, Arabic, Greek; diacritics dropped).

    >>> transliterate("Şükrü Çelik"), transliterate("Йордан")
    ('Sukru Celik', 'Yordan')
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    return anyascii(text)


def fold(text: Any) -> str:
    """Lower-case ASCII with punctuation turned to spaces and runs of spaces collapsed.

    >>> fold("  O'Brien-SMITH ")
    'obrien smith'
    """
    if text is None:
        return ""
    return _fold_text(str(text))


@lru_cache(maxsize=200_000)
def _fold_text(text: str) -> str:
    s = transliterate(text).lower()
    s = s.replace("'", "").replace("`", "").replace("\u02bf", "").replace("\u02be", "")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return " ".join(s.split())


def normalize_text(text: Any) -> str:
    """Folded text for free-text identifiers such as addresses (token order kept)."""
    return fold(text)


def name_tokens(name: Any) -> list[str]:
    """Folded tokens of a name without honorifics; "Petrov, Alex" gives ``['alex', 'petrov']``.

    A comma means "surname, given names" and is turned round; the Arabic article ("al-Omari",
    "el Omari", "العمري") is dropped.

    >>> name_tokens("Petrov, Alex")
    ['alex', 'petrov']
    >>> name_tokens("Mr. Omar AL-MASRI")
    ['omar', 'masri']
    """
    if name is None:
        return []
    text = str(name)
    if "," in text:
        surname, _, given = text.partition(",")
        text = f"{given} {surname}"
    # the Arabic article is written "al-", "el ", "Al" or (in Arabic script) glued as "ال": drop it
    text = re.sub(r"(?<![^\s,])\u0627\u0644(?=\w\w)", "", text)
    text = re.sub(r"(?i)(?<![^\s,])(al|el|ul)[\s\-]+(?=\w\w)", "", text)
    out = []
    for raw in re.split(r"[\s,]+", text):
        latin_source = raw.isascii() or all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in raw)
        for tok in fold(raw).split():
            # honorifics are recognised in Latin-script input only: "عمر" transliterates to "mr"
            if latin_source and tok in _HONORIFICS:
                continue
            out.append(tok)
    return out


def normalize_name(name: Any) -> str:
    """Name tokens sorted and joined: independent of order, case, script and honorifics."""
    return " ".join(sorted(name_tokens(name)))


@lru_cache(maxsize=1)
def name_variants() -> dict[str, str]:
    """Given-name form -> canonical form, from ``schema/name_variants.yaml``."""
    text = resources.files("netintel").joinpath("schema/name_variants.yaml").read_text(encoding="utf-8")
    groups = yaml.safe_load(text)["groups"]
    table: dict[str, str] = {}
    for group in groups:
        canon = fold(group[0])
        for form in group:
            table[fold(form)] = canon
    return table


@lru_cache(maxsize=200_000)
def canonical_given(token: str) -> str:
    """Canonical form of one given-name token (itself when no variant is known)."""
    t = fold(token)
    return name_variants().get(t, t)


_SKELETON_MAP = (("sch", "s"), ("tch", "c"), ("ch", "c"), ("sh", "s"), ("zh", "j"), ("kh", "h"), ("ph", "f"),
                 ("th", "t"), ("dj", "j"), ("ck", "k"), ("x", "ks"), ("q", "k"), ("c", "k"), ("z", "s"),
                 ("w", "v"), ("j", "y"), ("g", "k"))


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonant skeleton of a name: vowels, ``y``/``v``/``h`` glides and doubled letters dropped.

    Transliteration schemes and Arabic script (written without short vowels) differ mostly in
    vowels and glides, so their skeletons agree: "Mohamed", "Muhammad" and "محمد" give ``mmd``.

    >>> skeleton("Mohamed") == skeleton("Muhammad") == skeleton("محمد")
    True
    >>> skeleton("Petrow") == skeleton("Petrov")
    True
    """
    s = "".join(ch for ch in fold(token) if ch.isalpha())
    s = re.sub(r"c(?=[eiy])", "s", s)  # a soft c ("Naciri") sounds as s ("Nassiri")
    for a, b in _SKELETON_MAP:
        s = s.replace(a, b)
    s = re.sub(r"[aeiouyvh]", "", s)
    return re.sub(r"(.)\1+", r"\1", s)


# ---------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------
def phone_e164(value: Any, region: str | None = None) -> str | None:
    """A phone number in E.164, or None when it is not a valid number.

    ``region`` (ISO2) is the default for numbers written without a country code: the country of
    the agency that reported it.

    A number written in international form (``+`` or ``00``, 8-15 digits) is kept as its digits
    when ``phonenumbers`` cannot place it, whether it does not know the country code or the
    length does not fit that country's plan (its metadata lags new ranges; officers copy numbers
    as dialled): the same digits written ``0090 ...`` in a CDR and ``+90 ...`` in a partner's
    record are one number, not two unmatched ones.

    >>> phone_e164("0031 6 12345678"), phone_e164("+31 (0)6-1234 5678")
    ('+31612345678', '+31612345678')
    >>> phone_e164("0090 678 926006") == phone_e164("+90 678 926006") == "+90678926006"
    True
    >>> phone_e164("12")
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    import phonenumbers

    text = re.sub(r"\(0\)", "", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        num = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        num = None
    if num is not None and phonenumbers.is_possible_number(num):
        return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    digits = re.sub(r"\D", "", text)
    return f"+{digits}" if text.startswith("+") and 8 <= len(digits) <= 15 else None


def iban(value: Any) -> str | None:
    """An IBAN without spaces in capitals, or None when its mod-97 check fails.

    >>> iban("DE89 3704 0044 0532 0130 00")
    'DE89370400440532013000'
    """
    if value is None:
        return None
    s = re.sub(r"[\s\-.]", "", str(value)).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return None
    moved = s[4:] + s[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return s if int(digits) % 97 == 1 else None


def email(value: Any) -> str | None:
    """An e-mail address in lower case; None when it is not one.

    >>> email(" EMMA.Blom@ProtonMail.com ")
    'emma.blom@protonmail.com'
    """
    if value is None:
        return None
    s = str(value).strip().lower()
    s = s.removeprefix("mailto:")
    return s if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z0-9-]{2,}", s) else None


def crypto_wallet(value: Any) -> str | None:
    """A wallet address: Ethereum-style hex in lower case, base58/bech32 addresses as written.

    >>> crypto_wallet("0xAbC0000000000000000000000000000000000001")
    '0xabc0000000000000000000000000000000000001'
    >>> crypto_wallet(" bc1QAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq ")
    'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'
    """
    if value is None:
        return None
    s = str(value).strip()
    if not s:
        return None
    if re.fullmatch(r"0[xX][0-9a-fA-F]{40}", s):
        return s.lower()
    if re.match(r"(?i)(bc1|ltc1|tb1)", s):
        return s.lower()  # bech32 is case-insensitive
    return s  # base58 (BTC legacy, Tron, Monero) is case-sensitive


def plate(value: Any, country: str | None = None) -> str | None:
    """A vehicle plate without separators, prefixed by its country: ``NL:12ABC3``.

    >>> plate("12-abc-3", "nl")
    'NL:12ABC3'
    """
    return _country_key(value, country)


def _country_key(value: Any, country: str | None) -> str | None:
    """Letters and digits only, in Latin script, upper case, prefixed by the country when known."""
    if value is None:
        return None
    s = re.sub(r"[^A-Z0-9]", "", transliterate(str(value)).upper())
    if not s:
        return None
    return f"{(country or '').upper()}:{s}" if country else s


def document(value: Any, country: str | None = None) -> str | None:
    """An identity document number with its issuing country: ``BG:AB1234567``.

    The issuing country is part of the key: document numbers are only unique per issuer.

    >>> document("ab 123 4567", "BG")
    'BG:AB1234567'
    """
    return _country_key(value, country)


def organisation_name(name: Any) -> str:
    """An organisation name without legal forms, tokens sorted.

    >>> organisation_name("Van Dijk Transport B.V.") == organisation_name("VAN DIJK TRANSPORT BV")
    True
    """
    text = fold(str(name or "").replace(".", ""))
    return " ".join(sorted(t for t in text.split() if t not in _LEGAL_FORMS))


def identifier_key(kind: str, prop: str, value: Any, *, country: str | None = None,
                   properties: dict[str, Any] | None = None) -> str | None:
    """The canonical key of one identifying value of an entity, or None when it is not valid.

    ``country`` is the reporting agency's country (the default phone region, the default
    issuing country of a plate or document).

    >>> identifier_key("phone", "number", "06 1234 5678", country="NL")
    'phone:+31612345678'
    >>> identifier_key("bank_account", "iban", "NL91 ABNA 0417 1643 00")
    'iban:NL91ABNA0417164300'
    """
    props = properties or {}
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind == "phone" or prop == "phone":
        v = phone_e164(value, country)
        return f"phone:{v}" if v else None
    if prop == "iban" or (kind == "bank_account" and prop == "iban"):
        v = iban(value)
        return f"iban:{v}" if v else None
    if prop == "account_number":
        v = re.sub(r"[^A-Z0-9]", "", str(value).upper())
        bank = fold(props.get("bank") or props.get("bic") or "")
        return f"account:{bank}:{v}" if v else None
    if kind == "email" or prop == "email":
        v = email(value)
        return f"email:{v}" if v else None
    if kind == "crypto_wallet":
        v = crypto_wallet(value)
        return f"wallet:{v}" if v else None
    if kind == "vehicle" and prop == "plate":
        # the characters only: a plate's country is often not written (and never the reporter's)
        v = plate(value)
        return f"plate:{v}" if v else None
    if kind == "identity_document" or prop == "id_number":
        v = document(value, props.get("issuing_country") or props.get("nationality") or country)
        return f"document:{v}" if v else None
    if kind == "address" or prop == "address":
        v = fold(value)
        return f"address:{v}" if v else None
    if kind == "organisation" and prop in ("registration_number", "id_number"):
        v = re.sub(r"[^A-Z0-9]", "", str(value).upper())
        jur = str(props.get("jurisdiction") or props.get("nationality") or country or "").upper()
        return f"registration:{jur}:{v}" if v else None
    v = re.sub(r"\s+", "", str(value)).lower() if kind in ("file", "malware", "ip_address", "domain", "url") \
        else fold(value)
    return f"{kind}.{prop}:{v}" if v else None


# ---------------------------------------------------------------------------------------------
# Dates of birth
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartialDate:
    """A date of birth known to the day, the month or only the year."""

    year: int | None
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: Any, *, strict: bool = False) -> "PartialDate":
        """Read ISO (``1985-03-12``, ``1985-03``, ``1985``) or day-first (``12.03.1985``, ``12/03/1985``).

        A part out of range is dropped (``1985-13-01`` is the year 1985); with ``strict`` a date
        with any impossible part (``19450493``, ``1985-02-30``) is unknown altogether: a corrupted
        field says nothing reliable about the person.

        >>> PartialDate.parse("19450493"), PartialDate.parse("19450493", strict=True)
        (PartialDate(year=1945, month=4, day=None), PartialDate(year=None, month=None, day=None))
        """
        if strict:
            d = cls.parse(value)
            date_part = re.split(r"[T ]", value.strip(), maxsplit=1)[0] if isinstance(value, str) else ""
            written = 3 if re.fullmatch(r"\d{8}", date_part) else len(re.findall(r"\d+", date_part))
            if d.year is None or written > {"year": 1, "month": 2, "day": 3}[d.precision]:
                return cls(None)
            if d.day:
                import calendar
                if d.day > calendar.monthrange(d.year, d.month)[1]:
                    return cls(None)
            return d
        if value is None:
            return cls(None)
        if hasattr(value, "year") and hasattr(value, "month"):
            return cls(int(value.year), int(value.month), int(getattr(value, "day", 0)) or None)
        s = str(value).strip()
        if not s or s.lower() in ("nan", "none", "nat"):
            return cls(None)
        m = re.fullmatch(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[T ].*)?", s)
        if m:
            y, mo, d = m.group(1), m.group(2), m.group(3)
            return cls._checked(int(y), int(mo) if mo else None, int(d) if d else None)
        m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", s)
        if m:
            return cls._checked(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = re.fullmatch(r"(\d{1,2})[-/.](\d{4})", s)
        if m:
            return cls._checked(int(m.group(2)), int(m.group(1)), None)
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s)
        if m:
            return cls._checked(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return cls(None)

    @classmethod
    def _checked(cls, y: int, mo: int | None, d: int | None) -> "PartialDate":
        if not 1000 <= y <= 2999:
            return cls(None)
        if mo is not None and not 1 <= mo <= 12:
            return cls(y)
        if d is not None and not 1 <= d <= 31:
            return cls(y, mo)
        return cls(y, mo, d)

    @property
    def precision(self) -> str:
        """``day``, ``month``, ``year`` or ``none``."""
        if self.year is None:
            return "none"
        return "day" if self.day else ("month" if self.month else "year")

    def iso(self) -> str | None:
        """``1985-03-12``, ``1985-03`` or ``1985``; None when unknown."""
        if self.year is None:
            return None
        out = f"{self.year:04d}"
        if self.month:
            out += f"-{self.month:02d}"
            if self.day:
                out += f"-{self.day:02d}"
        return out

    def compatible(self, other: "PartialDate") -> bool:
        """True when both could be the same date (each part equal where both know it).

        >>> PartialDate(1985, 3).compatible(PartialDate(1985, 4, 1))
        False
        """
        if self.year is None or other.year is None:
            return True
        if self.year != other.year:
            return False
        if self.month and other.month and self.month != other.month:
            return False
        if self.day and other.day and self.day != other.day:
            return False
        return True
