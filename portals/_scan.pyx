# cython: language_level=3, boundscheck=False, cdivision=True
"""Compiled passes over a page's text, and over the texts read from it: the profiles' marker
needles (``portals.profiles.detect_profile``), the markup bounds check (``bounds.cut_markup``),
the legacy-font hint (``legacy.detect``), and the cleaning and folding of text
(``portals.text.clean_many``, ``has_unprintable``, ``portals.folding.fold_many``).

Each gives exactly what its Python form gives (tests/test_speedups.py compares them); the Python
forms run where this module is not built: see ``portals.speedups``. It loads no other module
(``import archive``, which cleans and folds text, loads no parser).
"""


include "_common.pxi"

def needles_in(str text, tuple needles, tuple folded=()):
    """The needles (ASCII strings) that occur in ``text``, and the ``folded`` ones (lower-case
    ASCII) that occur in it with ASCII letters lower-cased, found in one pass: ``({n for n in
    needles if n in text}, {n for n in folded if n in ascii_lower(text)})``."""
    cdef Py_ssize_t count = len(needles) + len(folded), length = PyUnicode_GET_LENGTH(text)
    cdef Py_ssize_t i, j, k, left, size
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef bytes needle
    cdef list encoded = []
    cdef tuple every = needles + folded
    found, found_folded = set(), set()
    # Needles chained by their first two characters, lower-cased: by the pair's index in
    # ``_PAIRS`` (ASCII characters 1 to 127 lower-cased; 0 for NUL and every character outside
    # ASCII, which no needle holds). A needle of one character is looked for with ``in``: one is
    # on every page, found within its first lines.
    cdef int* pairs = <int*>malloc(_PAIRS * sizeof(int))
    cdef unsigned char* slots = <unsigned char*>calloc(_PAIRS, 1)  # a pair's mask of third characters
    cdef unsigned long long masks[256][2]
    cdef int used = 0
    cdef int* chain = <int*>malloc((count + 1) * sizeof(int))
    cdef char* done = <char*>malloc(count + 1)
    cdef char* fold = <char*>malloc(count + 1)
    cdef const unsigned char** chars = <const unsigned char**>malloc((count + 1) * sizeof(char*))
    cdef Py_ssize_t* sizes = <Py_ssize_t*>malloc((count + 1) * sizeof(Py_ssize_t))
    try:
        if not (pairs and slots and chain and done and fold and chars and sizes):
            raise MemoryError()
        for i in range(_PAIRS):
            pairs[i] = -1
        left = 0
        for j in range(count):
            needle = every[j].encode("ascii")  # (a needle outside ASCII: UnicodeEncodeError)
            fold[j] = j >= len(needles)
            if fold[j] and needle != needle.lower():
                raise ValueError(f"a folded needle is lower-case: {every[j]!r}")
            if fold[j] and len(needle) < 2:
                raise ValueError(f"a folded needle has two characters or more: {every[j]!r}")
            if b"\0" in needle:
                raise ValueError(f"a needle holds no NUL: {every[j]!r}")
            encoded.append(needle)
            chars[j] = <const unsigned char*>needle
            size = sizes[j] = len(needle)
            done[j] = 1
            chain[j] = -1
            if size == 0:
                found.add(every[j])
            elif size == 1:
                if every[j] in text:
                    found.add(every[j])
            else:  # (marked found; those left in their chain after the scan, not found)
                k = _LOWER[chars[j][0]] << 7 | _LOWER[chars[j][1]]
                chain[j] = pairs[k]
                pairs[k] = <int>j
                if not slots[k]:  # (past 255 pairs, the last mask serves them all)
                    used = min(used + 1, 255)
                    slots[k] = used
                    masks[used][0] = masks[used][1] = 0
                _third(masks[slots[k]], chars[j], size)
                left += 1
        if left:
            if kind == PyUnicode_1BYTE_KIND:
                _scan(<const Py_UCS1*>data, length, pairs, slots, masks, chain, fold, chars, sizes, left)
            elif kind == PyUnicode_2BYTE_KIND:
                _scan(<const Py_UCS2*>data, length, pairs, slots, masks, chain, fold, chars, sizes, left)
            else:
                _scan(<const Py_UCS4*>data, length, pairs, slots, masks, chain, fold, chars, sizes, left)
        # What is found has left its chain: what is still chained was not found.
        for k in range(_PAIRS):
            j = pairs[k]
            while j >= 0:
                done[j] = 0
                j = chain[j]
        for j in range(count):
            if sizes[j] >= 2 and done[j]:
                (found_folded if fold[j] else found).add(every[j])
        return found, found_folded
    finally:
        free(pairs)
        free(slots)
        free(chain)
        free(done)
        free(fold)
        free(chars)
        free(sizes)


cdef extern from "Python.h":
    ctypedef unsigned char Py_UCS1
    ctypedef unsigned short Py_UCS2


ctypedef fused _unit:
    Py_UCS1
    Py_UCS2
    Py_UCS4


cdef enum:
    _PAIRS = 128 * 128

cdef inline Py_ssize_t _index(Py_ssize_t c) noexcept nogil:
    return _LOWER[c] if c < 128 else 0


cdef inline Py_ssize_t _lower(Py_ssize_t c) noexcept nogil:
    """An ASCII letter lower-cased (another character as it is)."""
    return c + 32 if 65 <= c <= 90 else c


cdef inline void _third(unsigned long long* mask, const unsigned char* needle, Py_ssize_t size) noexcept nogil:
    """Let the needle's third character (lower-cased) through the mask: every one, for a needle
    of two."""
    cdef Py_ssize_t third
    if size == 2:
        mask[0] = mask[1] = <unsigned long long>-1
    else:
        third = _LOWER[needle[2]]
        mask[third >> 6] |= (<unsigned long long>1) << (third & 63)


cdef Py_ssize_t _check(
    const _unit* text,
    Py_ssize_t i,
    Py_ssize_t length,
    int* head,
    unsigned char* slot,
    unsigned long long* mask,
    int* chain,
    const char* fold,
    const unsigned char** chars,
    const Py_ssize_t* sizes,
) noexcept nogil:
    """The needles of the chain at ``head`` found at position i: how many. A needle found leaves
    its chain; the pair's mask is made again from those left, and a pair whose chain is empty
    begins no needle any more."""
    cdef Py_ssize_t m, hits = 0
    cdef int j = head[0]
    cdef int* link = head
    while j >= 0:
        m = sizes[j]
        if i + m <= length:
            if fold[j]:  # the first two matched (lower-cased); the rest, lower-cased
                while m > 2 and _lower(<Py_ssize_t>text[i + m - 1]) == chars[j][m - 1]:
                    m -= 1
                m -= 2
            else:  # every character as it is
                while m > 0 and <Py_ssize_t>text[i + m - 1] == chars[j][m - 1]:
                    m -= 1
            if m == 0:
                hits += 1
                link[0] = chain[j]
                j = chain[j]
                continue
        link = &chain[j]
        j = chain[j]
    if hits and slot[0] != 255:
        if head[0] < 0:
            slot[0] = 0
        else:
            mask[0] = mask[1] = 0
            j = head[0]
            while j >= 0:
                _third(mask, chars[j], sizes[j])
                j = chain[j]
    return hits


cdef void _scan(
    const _unit* text,
    Py_ssize_t length,
    int* pairs,
    unsigned char* slots,
    unsigned long long masks[][2],
    int* chain,
    const char* fold,
    const unsigned char** chars,
    const Py_ssize_t* sizes,
    Py_ssize_t left,
) noexcept nogil:
    """Find the needles of two characters or more in the text (``needles_in``'s loop, for one
    width of characters). The loop reads each character's index and tests its pair: a pair that
    begins a needle is rare, and its third character is tested against the pair's mask before
    its needles are compared (a pair's chain is marked done)."""
    cdef Py_ssize_t i, k, ahead, third
    cdef Py_ssize_t first = _index(text[0]) << 7
    cdef unsigned char slot
    for i in range(length - 1):
        ahead = _index(text[i + 1])
        k = first | ahead
        first = ahead << 7
        slot = slots[k]
        if slot:
            third = _index(text[i + 2]) if i + 2 < length else 0
            if (masks[slot][third >> 6] >> (third & 63)) & 1:
                left -= _check(text, i, length, &pairs[k], &slots[k], masks[slot], chain, fold, chars, sizes)
                if not left:
                    break


cdef inline Py_ssize_t _next(const _unit* text, Py_ssize_t start, Py_ssize_t length, unsigned char unit) noexcept nogil:
    """The first position from ``start`` on where the text holds the ASCII character ``unit``
    (``length`` where it does not): memchr over the text's bytes, a vector search, each hit then
    checked as a character (its byte may be one of a wider character's)."""
    cdef const unsigned char* base = <const unsigned char*>text
    cdef const unsigned char* end = <const unsigned char*>(text + length)
    cdef const unsigned char* at = <const unsigned char*>(text + start)
    cdef const void* hit
    cdef Py_ssize_t index
    while at < end:
        hit = memchr(at, unit, end - at)
        if hit is NULL:
            return length
        index = (<const unsigned char*>hit - base) // sizeof(_unit)
        if text[index] == unit:
            return index
        at = <const unsigned char*>(text + index + 1)
    return length


# The elements whose content is raw text (``bounds._RAW_TEXT``), in the order the pattern tries them.
cdef tuple _RAW_NAMES = (b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes", b"noscript", b"plaintext")


cdef inline bint _space(Py_ssize_t c) noexcept nogil:
    return c == 32 or c == 9 or c == 10 or c == 12 or c == 13


cdef inline bint _letter_is(Py_ssize_t c, char letter) noexcept nogil:
    """Whether ``(?i:letter)`` matches c: the letter in either case, or a letter outside ASCII
    that IGNORECASE takes for it (ſ for s; İ and ı for i)."""
    if c == letter or (65 <= c <= 90 and c + 32 == letter):
        return True
    return (letter == c's' and c == 0x17F) or (letter == c'i' and (c == 0x130 or c == 0x131))


cdef inline bint _name_at(const _unit* text, Py_ssize_t at, Py_ssize_t length, const char* name, Py_ssize_t size) noexcept nogil:
    cdef Py_ssize_t m
    if at + size > length:
        return False
    for m in range(size):
        if not _letter_is(text[at + m], name[m]):
            return False
    return True


cdef Py_ssize_t _readable(const _unit* text, Py_ssize_t length, Py_ssize_t most, const char** names, Py_ssize_t* sizes) noexcept nogil:
    """``bounds._READABLE.match(text).end()``: where the first start tag of more than ``most``
    attributes begins (the text's length where there is none), read as that pattern reads."""
    cdef Py_ssize_t pos = 0, p, q, r, count, raw, n, end, c, quote
    cdef bint too_many
    while pos < length:
        pos = _next(text, pos, length, 60)  # "<"
        if pos + 1 >= length:
            return length
        c = <Py_ssize_t>text[pos + 1]
        # A raw text element: its name in any case, then a space, "/", ">" or the end.
        raw = -1
        if (
            _letter_is(c, c's') or _letter_is(c, c't') or _letter_is(c, c'x') or _letter_is(c, c'i')
            or _letter_is(c, c'n') or _letter_is(c, c'p')
        ):
            for n in range(10):
                if _name_at(text, pos + 1, length, names[n], sizes[n]):
                    q = pos + 1 + sizes[n]
                    if q >= length or _space(text[q]) or text[q] == 47 or text[q] == 62:
                        raw = n
                        break
        if raw < 0 and not ((65 <= c <= 90) or (97 <= c <= 122)):
            if c == 33 and pos + 3 < length and text[pos + 2] == 45 and text[pos + 3] == 45:  # "<!--"
                p = pos + 4
                end = length
                while p + 2 < length:
                    p = _next(text, p, length, 45)  # "-"
                    if p + 2 >= length:
                        break
                    if text[p + 1] == 45:
                        if text[p + 2] == 62:
                            end = p + 3
                            break
                        if text[p + 2] == 33 and p + 3 < length and text[p + 3] == 62:
                            end = p + 4
                            break
                    p += 1
                pos = end
            else:
                pos += 1
            continue
        # The tag's name, then its attributes, one by one.
        p = pos + 2 if raw < 0 else pos + 1 + sizes[raw]
        while p < length and not (_space(text[p]) or text[p] == 47 or text[p] == 62):
            p += 1
        count = 0
        too_many = False
        while True:
            q = p
            while q < length and (_space(text[q]) or text[q] == 47):
                q += 1
            if q >= length or text[q] == 62:
                break
            if count == most:  # one attribute more than the limit: the tag is not read
                too_many = True
                break
            q += 1
            while q < length and not (_space(text[q]) or text[q] == 47 or text[q] == 62 or text[q] == 61):
                q += 1
            r = q
            while r < length and _space(text[r]):
                r += 1
            if r < length and text[r] == 61:  # "=", then the value
                r += 1
                while r < length and _space(text[r]):
                    r += 1
                quote = <Py_ssize_t>text[r] if r < length else 0
                end = -1
                if quote == 34 or quote == 39:
                    end = r + 1
                    while end < length and <Py_ssize_t>text[end] != quote:
                        end += 1
                    end = end + 1 if end < length else -1
                if end < 0:  # unquoted, or a quote never closed: up to a space or ">"
                    end = r
                    while end < length and not (_space(text[end]) or text[end] == 62):
                        end += 1
                q = end
            p = q
            count += 1
        if too_many:
            if (65 <= c <= 90) or (97 <= c <= 122):
                return pos
            pos += 1  # "<ſcript" of too many attributes: read as a "<" before no letter
            continue
        if raw < 0:
            pos = p
            continue
        # A raw text element: the rest of its tag, then its text up to "</" and its name.
        while p < length and text[p] != 62:
            p += 1
        p += 1
        while p < length:
            p = _next(text, p, length, 60)
            if p + 1 < length and text[p + 1] == 47 and _name_at(text, p + 2, length, names[raw], sizes[raw]):
                break
            p += 1
        pos = min(p, length)
    return length


def readable_end(str text, Py_ssize_t most):
    """``bounds._READABLE.match(text).end()`` (``most``: ``bounds.MAX_ATTRIBUTES``)."""
    cdef const char* names[10]
    cdef Py_ssize_t sizes[10]
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(text), n
    for n in range(10):
        names[n] = <const char*><bytes>_RAW_NAMES[n]
        sizes[n] = len(<bytes>_RAW_NAMES[n])
    if kind == PyUnicode_1BYTE_KIND:
        return _readable(<const Py_UCS1*>data, length, most, names, sizes)
    if kind == PyUnicode_2BYTE_KIND:
        return _readable(<const Py_UCS2*>data, length, most, names, sizes)
    return _readable(<const Py_UCS4*>data, length, most, names, sizes)


cdef inline bint _ascii_is(Py_ssize_t c, char lower) noexcept nogil:
    return c == lower or c + 32 == lower


cdef bint _font_hint_at(const _unit* text, Py_ssize_t length, unsigned char v) noexcept nogil:
    """``_font_hint`` where the "v" is ``v`` (each one found by ``_next``)."""
    cdef Py_ssize_t i = _next(text, 0, length, v), c
    while i < length - 2:
        if _ascii_is(text[i + 1], c'n'):  # "vn", in either case
            c = text[i + 2]
            # ".vn" and a letter (or İ, ı, ſ, K, which the font patterns' IGNORECASE takes for one)
            if i > 0 and text[i - 1] == 46 and (
                (97 <= c <= 122) or (65 <= c <= 90) or c == 0x130 or c == 0x131 or c == 0x17F or c == 0x212A
            ):
                return True
            # "vni" (or vnİ, vnı) and "-" or " "
            if (c == 105 or c == 73 or c == 0x130 or c == 0x131) and i + 3 < length and (text[i + 3] == 45 or text[i + 3] == 32):
                return True
        i = _next(text, i + 1, length, v)
    return False


cdef bint _font_hint(const _unit* text, Py_ssize_t length) noexcept nogil:
    return _font_hint_at(text, length, 118) or _font_hint_at(text, length, 86)  # "v", "V"


def font_hint(str text):
    """``legacy._FONT_HINT``'s test, read on the text rather than on its bytes lower-cased: a
    ".vn" then a letter, or a "vni" then "-" or " " (any case)."""
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(text)
    if kind == PyUnicode_1BYTE_KIND:
        return _font_hint(<const Py_UCS1*>data, length)
    if kind == PyUnicode_2BYTE_KIND:
        return _font_hint(<const Py_UCS2*>data, length)
    return _font_hint(<const Py_UCS4*>data, length)


def chars_in(str text, bytes bitmap, tuple astral):
    """Whether ``text`` holds a character of a set: those of the Basic Multilingual Plane by a
    bitmap (bit ``c & 7`` of byte ``c >> 3``), those beyond it by ``astral``'s (low, high) ranges.
    The set of a regex character class (``text.char_set``): ``pattern.search(text) is not None``."""
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t i, length = PyUnicode_GET_LENGTH(text)
    cdef const unsigned char* bits = <const unsigned char*>bitmap
    cdef Py_ssize_t c  # (an integer: Cython reads Py_UCS4 arithmetic as text)
    if len(bitmap) != 8192:
        raise ValueError("the bitmap of the Basic Multilingual Plane has 8,192 bytes")
    if kind == PyUnicode_1BYTE_KIND:
        for i in range(length):
            c = (<const Py_UCS1*>data)[i]
            if bits[c >> 3] & (1 << (c & 7)):
                return True
        return False
    if kind == PyUnicode_2BYTE_KIND:
        for i in range(length):
            c = (<const Py_UCS2*>data)[i]
            if bits[c >> 3] & (1 << (c & 7)):
                return True
        return False
    for i in range(length):
        c = (<const Py_UCS4*>data)[i]
        if c < 0x10000:
            if bits[c >> 3] & (1 << (c & 7)):
                return True
        else:
            for low, high in astral:
                if low <= c <= high:
                    return True
    return False


cdef extern from "Python.h":
    object PyUnicode_FromKindAndData(int kind, const void* buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND


cdef Py_UCS4* _characters(Py_ssize_t length) except NULL:
    """A buffer for a text of up to ``length`` characters (free it)."""
    cdef Py_UCS4* out = <Py_UCS4*>malloc((length + 1) * sizeof(Py_UCS4))
    if out is NULL:
        raise MemoryError()
    return out


def collapse_many(str joined, str separator):
    """``[t.strip() for t in " ".join(joined.split()).split(separator)]``: the texts joined by
    ``separator`` (a character that is not whitespace), each with its whitespace collapsed."""
    cdef int kind = PyUnicode_KIND(joined)
    cdef void* data = PyUnicode_DATA(joined)
    cdef Py_ssize_t i, n = 0, length = PyUnicode_GET_LENGTH(joined)
    cdef Py_UCS4 c, sep
    cdef bint space = False
    cdef list texts = []
    if len(separator) != 1 or separator.isspace():
        raise ValueError("the separator is one character, not whitespace")
    sep = ord(separator)
    cdef Py_UCS4* out = _characters(length)
    try:
        for i in range(length):
            c = PyUnicode_READ(kind, data, i)
            if c == sep:
                texts.append(PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, n))
                n = 0
                space = False
            elif Py_UNICODE_ISSPACE(c):
                space = n > 0
            else:
                if space:
                    out[n] = 32
                    n += 1
                    space = False
                out[n] = c
                n += 1
        texts.append(PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, n))
        return texts
    finally:
        free(out)


# What ``folding.fold`` gives for each character of the Basic Multilingual Plane, asked of
# ``fold_one`` the first time the character is met: 0 not asked yet, 0xFFFF no one character
# (the texts holding it are folded by ``folding.fold``), else the character.
cdef unsigned short _FOLDED[65536]


def fold_joined(str joined, str separator, object fold_one):
    """Each text of ``joined`` (``separator`` between them) folded one character for one: ASCII
    lower-cased, another character as ``fold_one(code point)`` gives it (-1: none); None for a
    text holding a character that does not fold alone (``folding.fold_many`` folds it whole)."""
    cdef int kind = PyUnicode_KIND(joined)
    cdef void* data = PyUnicode_DATA(joined)
    cdef Py_ssize_t i, n = 0, length = PyUnicode_GET_LENGTH(joined), c, sep, folded
    cdef bint alone = True
    cdef list texts = []
    if len(separator) != 1 or ord(separator) >= 128:
        raise ValueError("the separator is one ASCII character")
    sep = ord(separator)
    cdef Py_UCS4* out = _characters(length)
    try:
        for i in range(length):
            c = PyUnicode_READ(kind, data, i)
            if c == sep:
                texts.append(PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, n) if alone else None)
                n = 0
                alone = True
                continue
            if not alone:
                continue
            if c < 128:
                out[n] = _LOWER[c]
                n += 1
                continue
            if c >= 0xFFFF:
                alone = False
                continue
            folded = _FOLDED[c]
            if folded == 0:
                folded = fold_one(c)
                if folded <= 0 or folded >= 0xFFFF:
                    folded = 0xFFFF
                _FOLDED[c] = <unsigned short>folded
            if folded == 0xFFFF:
                alone = False
                continue
            out[n] = <Py_UCS4>folded
            n += 1
        texts.append(PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, n) if alone else None)
        return texts
    finally:
        free(out)
