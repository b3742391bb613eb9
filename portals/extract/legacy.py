"""Vietnamese text in legacy font encodings (before Unicode): TCVN3 ("ABC", fonts ``.VnTime``,
``.VnArial`` …) and VNI-Windows (fonts ``VNI-Times``, ``VNI-Helve`` …).

Such pages declare windows-1252 (or nothing) and rely on a special font to draw Vietnamese from
Latin-1 bytes, so a decoder sees "Th¸i B×nh" or "Thaùi Bình". A page is treated as legacy when
its styles name such a font; then each text run that looks legacy-encoded (only Latin-1
characters, with the encoding's telltale letters) is converted. Runs already in Unicode (any
letter beyond Latin-1, such as ư, ơ, ạ) are left alone, so a page mixing both comes out whole.
"""

from __future__ import annotations

import re
import unicodedata

from lxml import etree

from .. import speedups

# TCVN3: one byte per letter, shown here as windows-1252 decodes the bytes, then the letters.
_TCVN3_FROM = "¡¢£¤¥¦§¨©ª«¬\u00ad®µ¶·¸¹»¼½¾ÆÇÈÉÊËÌÎÏÐÑÒÓÔÕÖ×ØÜÝÞßáâãäåæçèéêëìíîïñòóôõö÷øùúûüýþ"
_TCVN3_TO = "ĂÂÊÔƠƯĐăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
TCVN3 = dict(zip(_TCVN3_FROM, _TCVN3_TO, strict=True))


def _vni_table() -> dict[str, str]:
    """VNI-Windows: a base letter followed by a mark byte (lower-case marks after lower-case
    letters, capital marks after capitals), and a few letters of their own."""
    grave, acute, hook, tilde, dot = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
    circumflex, breve = "\u0302", "\u0306"
    tones = {"ø": grave, "ù": acute, "û": hook, "õ": tilde, "ï": dot}
    with_circumflex = {"â": "", "à": grave, "á": acute, "å": hook, "ã": tilde, "ä": dot}
    with_breve = {"ê": "", "è": grave, "é": acute, "ú": hook, "ü": tilde, "ë": dot}
    table: dict[str, str] = {}
    for case in (str, str.upper):  # lower-case letters with lower-case marks, capitals with capital marks
        for base in "aeouy":  # i takes its tones as letters of their own (ì í ỉ ĩ ị)
            for mark, tone in tones.items():
                table[case(base) + case(mark)] = unicodedata.normalize("NFC", case(base) + tone)
        for base in "aeo":
            for mark, tone in with_circumflex.items():
                table[case(base) + case(mark)] = unicodedata.normalize("NFC", case(base) + circumflex + tone)
        for mark, tone in with_breve.items():
            table[case("a") + case(mark)] = unicodedata.normalize("NFC", case("a") + breve + tone)
        for single, letter in (("ô", "ơ"), ("ö", "ư")):  # ơ and ư are one byte, and take tones
            table[case(single)] = case(letter)
            for mark, tone in tones.items():
                table[case(single) + case(mark)] = unicodedata.normalize("NFC", case(letter) + tone)
        for single, letter in (("ñ", "đ"), ("ì", "ì"), ("í", "í"), ("æ", "ỉ"), ("ó", "ĩ"), ("ò", "ị"), ("î", "ỵ")):
            table[case(single)] = case(letter)
    return table


VNI = _vni_table()
_VNI_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(VNI, key=len, reverse=True)))

# Font names in styles and <font face>: TCVN3 fonts start with ".Vn", VNI fonts with "VNI-".
_TCVN3_FONT = re.compile(r"""(?:font-family\s*:|face\s*=)[^;>}]{0,80}?["']?\.Vn[A-Za-z]""", re.I)
_VNI_FONT = re.compile(r"""(?:font-family\s*:|face\s*=)[^;>}]{0,80}?["']?VNI[- ][A-Za-z]""", re.I)
# What the font patterns need, found fast (their IGNORECASE scan of the page is slow): in the
# page's bytes, ASCII letters lower-cased, ".vn" then a letter, or "vni" then "-" or " " (İ, ı,
# ſ and K, in UTF-8, are the other letters IGNORECASE takes for ASCII ones).
_FONT_HINT = (re.compile(rb"\.vn(?:[a-z]|\xc4[\xb0\xb1]|\xc5\xbf|\xe2\x84\xaa)"), re.compile(rb"vn(?:i|\xc4[\xb0\xb1])[- ]"))
# Beyond Latin-1: a run with any of these is Unicode already.
_UNICODE_VIETNAMESE = re.compile("[\u0100-\u024f\u1e00-\u1eff]")
_TCVN3_TELLTALE = re.compile("[¸µ¶·¹¨©ª«¬\u00ad®§¡¢£¤¥¦»¼½¾]")
_VNI_TELLTALE = re.compile("[aeouyAEOUY][øùûõïâàåäêèúüë]|[ôöñÔÖÑ]")


def detect(html: str) -> str | None:
    """``"tcvn3"`` or ``"vni"`` when the page's styles draw text in such a font, else None."""
    head = html[:300_000]
    if speedups.scan is not None:  # the same test on the text, in a third of the time
        if not speedups.scan.font_hint(head):
            return None
    elif not any(hint.search(head.encode("utf-8", "surrogatepass").lower()) for hint in _FONT_HINT):
        return None
    tcvn3, vni = len(_TCVN3_FONT.findall(head)), len(_VNI_FONT.findall(head))
    if not tcvn3 and not vni:
        return None
    return "tcvn3" if tcvn3 >= vni else "vni"


def convert_text(text: str, kind: str) -> str | None:
    """The text converted to Unicode if it looks encoded in ``kind``; None when left as is."""
    if not text or text.isascii() or _UNICODE_VIETNAMESE.search(text):
        return None
    if kind == "tcvn3":
        if not _TCVN3_TELLTALE.search(text):
            return None
        return "".join(TCVN3.get(ch, ch) for ch in text)
    if not _VNI_TELLTALE.search(text):
        return None
    return _VNI_PATTERN.sub(lambda m: VNI[m.group()], text)


def convert_tree(root: etree._Element, kind: str) -> int:
    """Convert, in place, every legacy-encoded text run and alt/title attribute; return how
    many were converted."""
    converted = 0
    for el in root.iter():
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value and (new := convert_text(value, kind)) is not None:
                setattr(el, attr, _xml_safe(new))
                converted += 1
        if isinstance(el.tag, str):
            for name in ("alt", "title"):
                value = el.get(name)
                if value and (new := convert_text(value, kind)) is not None:
                    el.set(name, _xml_safe(new))
                    converted += 1
    return converted


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """lxml refuses control characters in text it is given back (the parser let them in)."""
    return _NOT_XML.sub("", text)
