"""Attribution: who a portal credits for an article (a site, a unit, a publication, a person).

Forms seen on portals, each read into ``text`` / ``publisher`` / ``author``:
"theo www.thuathienhue.gov.vn (HNQ)", a bare "www.thuathienhue.gov.vn", a unit name as the last
line ("Sở Du lịch Thừa Thiên Huế"), "Nguồn: Báo Thừa Thiên Huế", "Theo: Đinh Thanh - Văn Đức/
baohatinh.vn", "Tác giả: Nguyễn Văn A", "Minh Hiền - Sở Du lịch", a name or initials alone.
A photo credit ("(Ảnh: Thanh Vân)") is not a source.
"""

from __future__ import annotations

import re

from ..folding import alternation, fold
from ..record import Source
from .vocabulary import (
    NAME_ONLY_LABELS,
    NOT_AUTHORS,
    NOT_UNITS,
    PHOTO_CREDIT_LABELS,
    ROLE_ABBREVIATIONS,
    SOURCE_LABELS,
    UNIT_WORDS,
    WEEKDAYS,
)

_LABEL = re.compile(rf"^(?P<label>{alternation(SOURCE_LABELS)})\s{{0,3}}(?::\s{{0,3}}|\s)")
_PHOTO = re.compile(rf"^\(?\s{{0,2}}(?:{alternation(PHOTO_CREDIT_LABELS)})\s{{0,2}}:")
# Unit words keep their diacritics: "Báo" (newspaper) is a unit, "Bảo" (a given name) is not.
_UNIT = re.compile(rf"^(?:{'|'.join(re.escape(w.lower()) for w in sorted(UNIT_WORDS, key=len, reverse=True))})(?:\s|$)")
_NOT_UNITS = tuple(phrase.lower() for phrase in NOT_UNITS)
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:vn|com|net|org|gov|info|edu)(?:\.vn)?/?$")
_TRAILING_PAREN = re.compile(r"^(?P<main>.+?)\s*\((?P<inner>[^()]{1,60})\)$")
_INITIALS = re.compile(r"^(?:[A-ZĐ]{2,6}|(?:[A-ZĐ]\.){1,4}[A-ZĐ]\.?)$")  # "HNQ", "PV", "T.H", "N.T.L"
# A given name after initials: "T.Hà", "N.T.Lan", "Q. Huy".
_ABBREVIATED_NAME = re.compile(r"^(?:[A-ZĐ]\.\s?){1,3}(?P<name>[^\W\d_]{2,12})$")
# A unit named by its abbreviation, capitals first: "TTVH-TT&TT huyện", "CDC Bình Phước".
_ACRONYM_UNIT = re.compile(r"^(?P<acronym>[A-ZĐ][A-ZĐ&\-]{1,11})(?:\s|$)")
_ROLES = frozenset(ROLE_ABBREVIATIONS)
_NOT_AUTHORS = frozenset(fold(name) for name in NOT_AUTHORS)
_WEEKDAY = re.compile(rf"^(?:{alternation(WEEKDAYS)})(?!\w)")
_SENTENCE_END = re.compile(r"[.!?;:…]\s*$")


def _is_domain(text: str) -> bool:
    return bool(_DOMAIN.match(text.lower()))


def _is_unit(text: str) -> bool:
    """A unit's name, not a sentence that starts with one ("Sở Du lịch tổ chức …") nor a phrase
    that only begins like one ("Hội thảo …")."""
    low = text.lower()
    return (
        bool(_UNIT.match(low)) and not low.startswith(_NOT_UNITS) and len(text.split()) <= 12 and not _SENTENCE_END.search(text)
    )


def _is_acronym_unit(text: str) -> bool:
    """A unit's abbreviated name, "TTVH-TT&TT huyện", "CDC Bình Phước" (not a role, "PV")."""
    m = _ACRONYM_UNIT.match(text)
    return (
        m is not None
        and m.group("acronym").strip("-&") not in _ROLES
        and len(text.split()) <= 8
        and not _SENTENCE_END.search(text)
    )


def _capitalised(word: str) -> bool:
    """ "Hà", "A", "H'Hen" (Ê Đê and Jrai names keep an apostrophe): each part capitalised."""
    for part in re.split(r"['’]", word):
        if not part.isalpha() or not part[0].isupper() or not (len(part) == 1 or part[1:].islower()):
            return False
    return True


def _is_name(text: str, *, capitals: bool = False) -> bool:
    """A Vietnamese personal name: 2–5 words, each capitalised ("Hoàng Lan", "Nguyễn Văn A"), or
    all in capitals as some portals print bylines ("HỒNG QUANG": only where ``capitals``, for a
    line marked as the author's — a closing "TRÂN TRỌNG THÔNG BÁO" is no name). One capitalised
    word alone ("Tweet", "Các") is too often something else to count."""
    words = text.split()
    if not 2 <= len(words) <= 5 or _WEEKDAY.match(fold(text)):
        return False
    if text.isupper():
        return capitals and all(w.isalpha() for w in words) and len(words) <= 4
    return all(_capitalised(raw.rstrip(".")) for raw in words)


_COMPILER_NOTE = re.compile(r"\s*\((?:tổng hợp|TH|lược dịch|dịch|st|sưu tầm)\)$", re.I)


def _is_person(text: str) -> bool:
    text = _COMPILER_NOTE.sub("", text)
    if _INITIALS.match(text):
        return True
    if (m := _ABBREVIATED_NAME.match(text)) and _capitalised(m.group("name")):
        return True
    return _is_name(text) and len(text) <= 40 and not _is_unit(text) and fold(text) not in _NOT_AUTHORS


def _split_person_unit(text: str) -> Source | None:
    """ "Minh Hiền - Sở Du lịch", "Đinh Thanh - Văn Đức/baohatinh.vn", "Hoàng Lan (Báo TTH)"."""
    if "/" in text:
        people, _, publisher = text.rpartition("/")
        people, publisher = people.strip(), publisher.strip()
        if people and publisher and (_is_domain(publisher) or _is_unit(publisher) or _is_person_list(people)):
            return Source(text, publisher, people)
    for sep in (" - ", " – ", ", "):
        pieces = text.split(sep)
        for cut in range(1, len(pieces)):  # "Thu Hà - Sở Lao động - Thương binh và Xã hội"
            person, unit = sep.join(pieces[:cut]).strip(), sep.join(pieces[cut:]).strip()
            if _is_person_list(person) and (_is_unit(unit) or _is_domain(unit) or _is_acronym_unit(unit)):
                return Source(text, unit, person)
    m = _TRAILING_PAREN.match(text)
    if m:
        main, inner = m.group("main").strip(), m.group("inner").strip()
        if _is_domain(main) or _is_unit(main):
            return Source(text, main, inner if (_is_person(inner) or _INITIALS.match(inner)) else None)
        if _is_person_list(main) and (_is_unit(inner) or _is_domain(inner) or _is_acronym_unit(inner)):
            return Source(text, inner, main)
    return None


def _is_person_list(text: str) -> bool:
    parts = [p.strip() for p in re.split(r"\s[-–]\s|,|\svà\s", text) if p.strip()]
    return bool(parts) and all(_is_person(p) for p in parts)


_PAREN = re.compile(r"^\((?P<inner>[^()]{2,90})\)$")
_TRAILING_DAY = re.compile(r"\s+\d{1,2}/\d{1,2}(?:/\d{2,4})?$")
_AGENCY = re.compile(r"^[A-ZĐ]{2,8}$")  # TTXVN, VOV, VTV, TTXVN …


def _parenthesised(text: str) -> Source | None:
    """ "(TTXVN/VietnamPlus.vn 22/9)", "(Theo VOV)": a credit in parentheses, with the day of the
    wire report dropped from the publisher."""
    m = _PAREN.match(text)
    if not m:
        return None
    inner = _TRAILING_DAY.sub("", m.group("inner").strip())
    label = _LABEL.match(fold(inner))
    if label and SOURCE_LABELS_FOLDED[label.group("label")] == "publisher":
        rest = inner[label.end() :].strip(" :-–")
        return Source(text, rest, None) if rest and len(rest.split()) <= 8 else None
    parts = [p for p in re.split(r"\s*/\s*", inner) if p]
    if parts and all(_AGENCY.match(p) or _is_domain(p) or _is_unit(p) for p in parts):
        return Source(text, inner, None)
    return None


def parse_source(text: str, *, strict: bool = True) -> Source | None:
    """Read one attribution line; None when it is not one.

    ``strict`` (the default for a line that is also a candidate body paragraph) refuses a bare
    name, which could be a short paragraph; a line the page marks as the author's takes it.
    """
    text = text.strip()
    if not text or len(text) > 160 or _PHOTO.match(fold(text)):
        return None
    if text.startswith("("):
        return _parenthesised(text)
    folded = fold(text)
    m = _LABEL.match(folded)
    if m:
        role = SOURCE_LABELS_FOLDED[m.group("label")]
        rest = text[m.end() :].strip(" :-–")
        # A credit names someone in a few words; "Theo báo cáo của Bộ …, năm 2019 …" is a sentence.
        if (
            not rest
            or len(rest) > 90
            or len(rest.split()) > 12
            or (_SENTENCE_END.search(rest) and not _is_domain(rest.rstrip(".")))
        ):
            return None
        if role == "author":
            split = _split_person_unit(rest)
            if split:
                return Source(text, split.publisher, split.author)
            if fold(rest) in _NOT_AUTHORS:  # "Viết bởi Super User": an account, no credit
                return None
            # "Tin"/"Bài" also open headings ("Tin mới nhất"), "Bởi" a clause ("Bởi vì …"), and
            # "Viết bởi" / "Đăng bởi" name whoever posted: only a name (or a unit) is a credit.
            if m.group("label") in _NAME_ONLY:
                if _is_person_list(rest):
                    return Source(text, None, rest)
                return Source(text, rest, None) if _is_unit(rest) or _is_domain(rest) else None
            return Source(text, None, rest)
        split = _split_person_unit(rest)
        if split:
            return Source(text, split.publisher, split.author)
        # "Theo Hoàng Lan" credits a person; "Theo TTXVN" a publisher (all capitals).
        if _is_person_list(rest) and not _is_unit(rest) and not _is_domain(rest) and not _INITIALS.match(rest):
            return Source(text, None, rest)
        return Source(text, rest, None)
    if _is_domain(text):
        return Source(text, text, None)
    split = _split_person_unit(text)
    if split:
        return split
    # A signature closed by a full stop: "Minh Anh - Trung tâm Văn hóa Thông tin."
    if text.endswith(".") and not text.endswith(("./.", "..")) and (split := _split_person_unit(text[:-1].rstrip())):
        return Source(text, split.publisher, split.author)
    if _is_unit(text) and len(text) <= 90:
        return Source(text, text, None)
    if _is_person_list(text) and (not strict or len(text.split()) <= 5):
        return Source(text, None, _COMPILER_NOTE.sub("", text))
    if not strict and _is_name(text, capitals=True):
        return Source(text, None, text)
    return None


SOURCE_LABELS_FOLDED = {fold(label): role for label, role in SOURCE_LABELS.items()}
_NAME_ONLY = frozenset(fold(label) for label in NAME_ONLY_LABELS)
# A label alone in its element, its value in the next one: "<div class="field-label">Nguồn tin:</div>
# <div class="field-item">Sở Y tế</div>", "<td>Tác giả:</td><td>Nguyễn Văn A</td>".
_BARE_LABEL = re.compile(rf"^(?:{alternation(SOURCE_LABELS)})\s{{0,3}}:?$")


def plausible_credit(source: Source) -> bool:
    """A credit that names a person (or initials) and/or a unit, a site or an agency: what a byline
    away from the body's end must name to be taken ("Tác giả - Tác phẩm" in a menu names nobody)."""
    if source.author and not _is_person_list(_COMPILER_NOTE.sub("", source.author)):
        return False
    parts = [p.strip() for p in (source.publisher or "").split("/") if p.strip()]
    return all(_is_unit(p) or _is_domain(p) or _is_acronym_unit(p) for p in parts)


def is_source_label(folded: str) -> bool:
    """A line that is only an attribution label ("Nguồn tin:", "Tác giả"), its value elsewhere."""
    return len(folded) <= 20 and bool(_BARE_LABEL.match(folded))


def starts_with_source_label(folded: str) -> bool:
    """A line that opens with an attribution label ("Nguồn: …", "Viết bởi …")."""
    return bool(_LABEL.match(folded))


def label_value_source(label: str, value: str) -> Source | None:
    """The credit of a label and its value shown in separate elements, read as one line:
    ("Nguồn tin:", "Sở Y tế") → "Nguồn tin: Sở Y tế"."""
    if not is_source_label(fold(label)) or not value or is_source_label(fold(value)):
        return None
    return parse_source(f"{label} {value}", strict=False)


# An attribution run into the last paragraph after the closing mark: "… cao./. theo www… (HNQ)".
# An attribution run into the last paragraph: after the closing mark ("… cao./. theo www… (HNQ)"),
# or a wire credit in parentheses after the last sentence ("… tiếp tục. (TTXVN/VietnamPlus.vn 24/9)").
_INLINE = (
    re.compile(r"^(?P<body>.*?(?:\./\.|\.\s?/\s?\.))\s*(?P<source>\S.{0,150})$", re.S),
    re.compile(r"^(?P<body>.*[.!?…\"”])\s*(?P<source>\([^()]{2,90}\))$", re.S),
)


def split_inline_source(paragraph: str) -> tuple[str, Source] | None:
    """Split "… cao./. theo www.thuathienhue.gov.vn (HNQ)" into the paragraph and its source."""
    for pattern in _INLINE:
        m = pattern.match(paragraph)
        if m and (source := parse_source(m.group("source"))):
            return m.group("body").rstrip(), source
    return None


_BYLINE_EDGES = re.compile(r"^[\s|·•,:\-–]+|[\s|·•,:\-–]+$")
_BYLINE_TAIL = re.compile(r"(?:\s*(?:vào lúc|lúc|vào|ngày|,|\||-|–|:))+\s*$", re.I)
_POSTED_BY = re.compile(r"^(?:đăng bởi|người đăng|viết bởi|posted by)\s*:?\s*", re.I)
# After the date: "05/06/2024 bởi Ngọc Anh" (WordPress's entry-meta: posted-on, then .byline).
_POSTED_BY_AFTER = re.compile(r"^(?:(?:được )?(?:đăng|viết) bởi|người đăng|bởi|posted by|by)\s*:?\s+", re.I)


def byline_source(line: str) -> Source | None:
    """The person or unit a byline names before its date: "Thanh Long 22:07 23/01/2026",
    "Đăng bởi Thu Hà vào lúc 08:30 - 15/03/2022" (text keeps the label, as shown)."""
    from .dates import before_label, find_dates  # dates import nothing from here

    found = find_dates(line)
    if not found:
        return None
    tail = _BYLINE_EDGES.sub("", line[found[0].end :])
    if tail and len(tail) <= 60 and _is_person_list(tail):  # "Thứ Sáu, 18/08/2023 - 16:05 Hữu Phước"
        return Source(tail, None, tail)
    if tail and len(tail) <= 60 and (after := _POSTED_BY_AFTER.match(tail)):
        name = tail[after.end() :].strip()
        if _is_person_list(name) and fold(name) not in _NOT_AUTHORS:  # "05/06/2024 bởi Ngọc Anh"
            return Source(tail, None, name)
    head = line[: found[0].start].strip()
    posted = _POSTED_BY.match(head)
    if not posted and before_label(head) != head:  # "<title> Ngày cập nhật …": a labelled date line
        return None
    text = _BYLINE_TAIL.sub("", head).strip()
    if not text or len(text) > 80:
        return None
    name = text[posted.end() :].strip() if posted else text
    if not name or name.lower() in ("admin", "administrator", "quản trị"):
        return None
    if _is_person_list(name):
        return Source(text, None, name)
    if _is_unit(name):
        return Source(text, name, None)
    return None
