"""Normalisation: names across scripts, phones, IBANs, e-mails, wallets, plates, documents, dates."""

import pytest
from hypothesis import given, settings, strategies as st

from netintel.resolve.normalize import (PartialDate, canonical_given, crypto_wallet, document, email, iban,
                                        identifier_key, name_tokens, normalize_name, organisation_name, phone_e164,
                                        plate, skeleton)


@pytest.mark.parametrize("a, b", [
    ("Aleksandr Petrov", "ПЕТРОВ Александр"),
    ("Aleksandr Petrov", "Petrov, Aleksandr"),
    ("Aleksandr Petrov", "Mr. ALEKSANDR petrov"),
    ("José García", "GARCIA, Jose"),
    ("Şükrü Çelik", "Sukru CELIK"),
    ("Omar Al-Masri", "AL MASRI Omar"),
])
def test_same_name_written_differently(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_different_names_stay_different():
    assert normalize_name("Ivan Petrov") != normalize_name("Ivan Petrova")
    assert normalize_name("Jan de Vries") != normalize_name("Jan de Vos")


def test_given_name_variants_from_the_table():
    assert canonical_given("Sasha") == canonical_given("Aleksandr") == canonical_given("Alexander")
    assert canonical_given("Wim") == canonical_given("Willem")
    assert canonical_given("Kees") != canonical_given("Willem")
    assert canonical_given("Zbigniew") == "zbigniew"  # unknown names are themselves


def test_skeleton_bridges_transliteration_and_arabic_script():
    assert skeleton("Youssef") == skeleton("Yusuf") == skeleton("يوسف")
    assert skeleton("Petrov") == skeleton("Petrow") == skeleton("Петров")
    assert skeleton("Naciri") == skeleton("Nassiri")
    assert skeleton("Petrov") != skeleton("Ivanov")


def test_honorific_only_in_latin_input():
    # "عمر" (Omar) transliterates to "mr": it is a name, not "Mr."
    assert name_tokens("عمر المصري") == ["mr", "msry"]
    assert name_tokens("Herr Dr. Hans Müller") == ["hans", "muller"]


@given(st.lists(st.sampled_from(["anna", "maria", "de", "vries", "Petrov", "IVAN", "García"]), min_size=1, max_size=4))
@settings(max_examples=60, deadline=None)
def test_name_key_ignores_order_and_case(tokens):
    a = " ".join(tokens)
    b = " ".join(reversed([t.upper() for t in tokens]))
    assert normalize_name(a) == normalize_name(b)


@pytest.mark.parametrize("written, region", [
    ("06 12345678", "NL"), ("+31 6 1234 5678", "BE"), ("0031612345678", "DE"), ("+31 (0)6-12345678", None),
])
def test_phones_to_e164_with_the_agency_country_as_default(written, region):
    assert phone_e164(written, region) == "+31612345678"


def test_phone_region_matters_for_national_numbers():
    assert phone_e164("030 1234567", "DE") == "+49301234567"
    assert phone_e164("030 1234567", "NL") == "+31301234567"
    assert phone_e164("12", "NL") is None


def test_iban_checksum():
    # ISO 13616 examples
    assert iban("GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432"
    assert iban("DE89370400440532013000") == "DE89370400440532013000"
    assert iban("GB82 WEST 1234 5698 7654 33") is None  # one digit wrong
    assert iban("not an iban") is None


def test_email_wallet_plate_document():
    assert email("Mailto:Jan.Jansen@Example.NL") == "jan.jansen@example.nl"
    assert email("jan.jansen at example.nl") is None
    assert crypto_wallet("0xABCDEF0000000000000000000000000000000001") == crypto_wallet(
        "0xabcdef0000000000000000000000000000000001")
    assert crypto_wallet("1BoatSLRHtKNngkdXEeobR76b53LETtpyT") != crypto_wallet("1boatslrhtknngkdxeeobr76b53lettpyt")
    assert plate("12-ABC-3", "NL") == plate("12 abc 3", "nl") == "NL:12ABC3"
    assert document("ab 123456", "bg") == "BG:AB123456"
    assert document("AB123456", "BG") != document("AB123456", "RO")  # a number is unique per issuer only


def test_identifier_keys():
    assert identifier_key("phone", "number", "0612345678", country="NL") == "phone:+31612345678"
    assert identifier_key("bank_account", "iban", "GB82WEST12345698765432") == "iban:GB82WEST12345698765432"
    assert identifier_key("bank_account", "iban", "GB82WEST12345698765433") is None
    assert identifier_key("vehicle", "plate", "AR 24 FFG") == identifier_key("vehicle", "plate", "ar-24-ffg")
    assert identifier_key("identity_document", "number", "X12", properties={"issuing_country": "ro"}) == \
        "document:RO:X12"


def test_organisation_names_without_legal_form():
    assert organisation_name("Golden Banana Logistics B.V.") == organisation_name("GOLDEN BANANA LOGISTICS BV")
    assert organisation_name("Blue Coast Consulting Ltd") == organisation_name("Blue Coast Consulting Limited")


@pytest.mark.parametrize("text, expected", [
    ("1985-03-12", (1985, 3, 12)), ("12.03.1985", (1985, 3, 12)), ("12/03/1985", (1985, 3, 12)),
    ("1985-03", (1985, 3, None)), ("03/1985", (1985, 3, None)), ("1985", (1985, None, None)),
    ("", (None, None, None)), ("unknown", (None, None, None)), ("1985-13-01", (1985, None, None)),
])
def test_partial_dates(text, expected):
    d = PartialDate.parse(text)
    assert (d.year, d.month, d.day) == expected


def test_partial_dates_compatibility():
    full = PartialDate.parse("1985-03-12")
    assert PartialDate.parse("1985").compatible(full)
    assert PartialDate.parse("1985-03").compatible(full)
    assert not PartialDate.parse("1985-04").compatible(full)
    assert not PartialDate.parse("1986").compatible(full)
    assert PartialDate(None).compatible(full)


def test_international_numbers_outside_the_plan_keep_their_digits():
    # +90 with 9 national digits is not a possible Turkish number for phonenumbers, but the same
    # digits written as a CDR writes them (00) and as a partner writes them (+, spaces) are one number
    assert phone_e164("0090678926006", "NL") == phone_e164("+90 678 926006", "AT") == "+90678926006"
    assert identifier_key("phone", "number", "0090678926006", country="NL") == "phone:+90678926006"
    assert phone_e164("678 926006", "TR") is None  # national form: no country code to anchor the digits
