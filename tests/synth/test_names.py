"""Name pools and variant writers of the generator, checked against the field's own libraries."""

import numpy as np
import phonenumbers
import pytest
from anyascii import anyascii

from netintel.synth import names as N


def test_pools_cover_the_brief():
    for cc in ("NL", "ES", "RO", "BG", "RU", "SY", "IQ", "MA", "TR", "AL", "NG", "CO"):
        pool = N.pool(cc)
        assert len(pool.male) >= 10 and len(pool.female) >= 8 and len(pool.surnames) >= 15
    assert all(N.is_cyrillic(n) for n in N.pool("BG").surnames)
    # every Arabic-script pool name has an Arabic spelling
    for cc in ("SY", "IQ", "MA"):
        pool = N.pool(cc)
        for name in pool.male + pool.female + pool.surnames:
            assert N.to_arabic(name) and N.is_arabic(N.to_arabic(name)), name


@pytest.mark.parametrize("cyr,scheme,latin", [
    ("Александр Петров", "bgn", "Aleksandr Petrov"),
    ("ПЕТРОВ Александр", "bgn", "PETROV Aleksandr"),
    ("Юрий Щукин", "german", "Jurij Schtschukin"),
    ("Христо Стоянов", "bulgarian", "Hristo Stoyanov"),
    ("Христо Стоянов", "french", "Khristo Stoianov"),
])
def test_cyrillic_transliteration_schemes(cyr, scheme, latin):
    assert N.cyrillic_to_latin(cyr, scheme) == latin


def test_latin_to_cyrillic_round_trips_through_anyascii_closely():
    for name in ("Petrov", "Ivanov", "Dimitrov", "Popa", "Stoyanov"):
        back = anyascii(N.latin_to_cyrillic(name))
        assert back.lower() == name.lower(), (name, back)


def test_diacritics_and_typo():
    assert N.strip_diacritics("Ștefan Bălan Çelik Müller") == "Stefan Balan Celik Muller"
    rng = np.random.default_rng(0)
    from rapidfuzz.distance import Levenshtein
    for name in ("Petrov", "Hoekstra", "Rodríguez", "Yılmaz"):
        for _ in range(20):
            t = N.typo(name, rng)
            assert 1 <= Levenshtein.distance(name, t) <= 2  # a transposition is two Levenshtein edits
            assert t[0] == name[0]


def test_phones_are_valid_and_every_style_parses_back():
    for cc, plan in N.PHONE_PLANS.items():
        for serial in (0, 1, 17, 12345, 999_999):
            e164 = N.make_phone(cc, serial)
            parsed = phonenumbers.parse(e164)
            assert phonenumbers.is_valid_number(parsed), e164
            assert phonenumbers.region_code_for_number(parsed) == cc or cc in ("RU",)
            for style in N.PHONE_STYLES:
                written = N.format_phone(e164, style)
                region = cc if "national" in style else "DE"
                back = phonenumbers.format_number(phonenumbers.parse(written, region),
                                                  phonenumbers.PhoneNumberFormat.E164)
                assert back == e164, (style, written)
    assert len({N.make_phone("NL", s) for s in range(5000)}) == 5000


def test_ibans_validate_in_every_style():
    for cc in ("NL", "BE", "DE", "ES", "RO", "BG", "TR", "MT", "CY"):
        iban = N.make_iban(cc, 987654)
        assert N.iban_is_valid(iban)
        for style in N.IBAN_STYLES:
            assert N.iban_is_valid(N.format_iban(iban, style))
    assert not N.iban_is_valid("NL00ABNA0417164300")


def test_feminine_surnames_and_nicknames():
    assert N.feminine_surname("Петров", "BG") == "Петрова"
    assert N.feminine_surname("Jansen", "NL") == "Jansen"
    assert "Sasha" not in N.nicknames("Александр") and "Саша" in N.nicknames("Александр")
    assert N.nicknames("Francisco")
