"""Unprintable characters never reach a writer (issue 10, point 8)."""

import xml.etree.ElementTree as ET

from hypothesis import given, strategies as st

from netintel._text import printable, printable_deep


@given(st.text())
def test_printable_text_is_valid_xml(text):
    # Anything that passes through printable can be written into XML 1.0 and read back unchanged.
    clean = printable(text)
    element = ET.Element("node", label=clean)
    element.text = clean
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.get("label") is not None


def test_control_bytes_stay_visible():
    assert printable("A\x01B\x7fC\x85") == "A\\x01B\\x7fC\\x85"
    assert printable("bad \ud800 half") == "bad \ufffd half"
    assert printable("tab\there") == "tab\there"
    assert printable("tab\there", keep_newlines=False) == "tab here"


def test_deep_cleans_keys_values_and_keeps_types():
    value = {"k\x00": ("a\x1b", 3, None), "list": ["\x0c"]}
    assert printable_deep(value) == {"k\\x00": ("a\\x1b", 3, None), "list": ["\\x0c"]}


def test_every_code_point_is_kept_or_escaped_as_documented():
    """The fast path (text Python calls printable) and the escaping agree on every code point."""
    forbidden = set(range(0x00, 0x09)) | {0x0B, 0x0C} | set(range(0x0E, 0x20)) | set(range(0x7F, 0xA0)) \
        | set(range(0xD800, 0xE000)) | {0xFFFE, 0xFFFF}
    for cp in range(0x110000):
        c = chr(cp)
        expected = (f"\\x{cp:02x}" if cp < 0x100 else "\ufffd") if cp in forbidden else c
        assert printable(c) == expected, hex(cp)
        assert printable(c, keep_newlines=False) == (" " if c in "\t\n\r" else expected), hex(cp)
        assert printable("ab" + c + "cd") == "ab" + expected + "cd", hex(cp)
