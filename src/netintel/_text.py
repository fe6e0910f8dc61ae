"""Text that every writer can carry: control characters and other unprintables neutralised.

Partner files arrive with stray control bytes (``\\x01`` in a label, a form feed in a note). XML
(GEXF, GraphML, XLSX, SVG) cannot hold most of them at all, and in HTML, CSV or a terminal they
hide or garble what an analyst reads. Every writer passes its text through :func:`printable`, so a
bad byte can never break a file or a pack halfway.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

__all__ = ["printable", "printable_deep", "words", "word_matcher"]

# C0 controls except tab, line feed and carriage return; DEL and the C1 block; lone surrogates;
# the two non-characters at the end of every plane's BMP that XML 1.0 also forbids.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else "\ufffd"


def printable(value: Any, *, keep_newlines: bool = True) -> Any:
    """``value`` with unprintable characters shown as visible escapes; non-strings unchanged.

    Control bytes become ``\\xNN`` (so an analyst can still see that the source held one),
    lone surrogates and non-characters become U+FFFD. With ``keep_newlines=False`` tab, line
    feed and carriage return become spaces (for one-line cells and labels).

    Examples
    --------
    >>> printable("Ivan\\x01 Petrov")
    'Ivan\\\\x01 Petrov'
    >>> printable("two\\nlines", keep_newlines=False)
    'two lines'
    >>> printable(42)
    42
    """
    if not isinstance(value, str):
        return value
    if value.isprintable():  # no control, separator other than space, surrogate or non-character
        return value
    text = _UNPRINTABLE.sub(_visible, value)
    if not keep_newlines:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return text


def printable_deep(value: Any, *, keep_newlines: bool = True) -> Any:
    """:func:`printable` applied to every string inside lists, tuples and dicts (keys too).

    >>> printable_deep({"name\\x02": ["a\\x00", 1]})
    {'name\\\\x02': ['a\\\\x00', 1]}
    """
    if isinstance(value, str):
        return printable(value, keep_newlines=keep_newlines)
    if isinstance(value, dict):
        return {printable_deep(k, keep_newlines=keep_newlines): printable_deep(v, keep_newlines=keep_newlines)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(printable_deep(v, keep_newlines=keep_newlines) for v in value)
    return value


_WORD = re.compile(r"[^\W\d_]+")


def words(value: Any) -> list[str]:
    """The lower-case words of ``value`` (letters only, in order): what keyword rules match against.

    Keyword rules match whole words, never substrings: ``gun`` is not a word of ``Ogunleye``.

    >>> words("Ogunleye, threat_actor; 2 firearms")
    ['ogunleye', 'threat', 'actor', 'firearms']
    """
    return _WORD.findall(str(value).lower())


def word_matcher(terms: Iterable[str]) -> Callable[[list[str]], set[str]]:
    """A function from a list of :func:`words` to the ``terms`` it contains, as whole words or phrases.

    A word matches a token equal to it or to its plural (``weapon``: ``weapons``); a phrase of
    several words matches the same words in a row. Never a substring: ``gun`` is not in
    ``Ogunleye``.

    >>> match = word_matcher(["gun", "forced labour"])
    >>> sorted(match(words("Ogunleye held two guns; forced labour")))
    ['forced labour', 'gun']
    >>> match(words("Ogunleye"))
    set()
    """
    single = {w for w in terms if len(words(w)) == 1}
    forms = {}
    for w in single:
        t = words(w)[0]
        for form in (t, t + "s", t + "es"):
            forms.setdefault(form, w)
    phrases = [(w, " " + " ".join(words(w)) + " ") for w in terms if len(words(w)) > 1]

    def match(toks: list[str]) -> set[str]:
        found = {forms[t] for t in toks if t in forms}
        if phrases:
            joined = " " + " ".join(toks) + " "
            found |= {w for w, p in phrases if p in joined}
        return found

    return match
