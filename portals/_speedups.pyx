# cython: language_level=3, boundscheck=False, cdivision=True
"""Compiled forms of the two loops that read a whole page: the reading walk over the parsed tree
(``portals.extract.dom._runs``) and the search of the profiles' marker needles in the raw page
(``portals.profiles.detect_profile``).

Each gives exactly what its pure-Python form gives (tests/test_speedups.py compares them on every
saved page). The Python forms are used where this module is not built or does not load (a build
for another lxml): see ``portals.speedups``.

The walk reads libxml2's nodes through lxml's public C API, as lxml's own ``iterwalk``, ``.text``
and ``.tail`` do, and makes an lxml element only for the elements it returns or keeps.
"""

cimport lxml.includes.etreepublic as cetree
from cpython.unicode cimport (
    PyUnicode_1BYTE_KIND,
    PyUnicode_2BYTE_KIND,
    PyUnicode_DATA, PyUnicode_DecodeUTF8, PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_READ,
)
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memchr, strcmp, strlen
from lxml.includes cimport tree

cetree.import_lxml__etree()

# What a tag does to the reading: the bits of ``dom._KIND``'s values.
cdef enum:
    _SKIP = 1
    _BREAK = 2
    _BLOCK = 4
    _LINK = 8
    _IMAGE = 16
    _BOLD = 32
    _SKIPPED = _SKIP | _BREAK


cdef inline bint _is_element(tree.xmlNode* c):
    """What lxml counts as an element (``_isElement``)."""
    return (
        c.type == tree.XML_ELEMENT_NODE
        or c.type == tree.XML_COMMENT_NODE
        or c.type == tree.XML_ENTITY_REF_NODE
        or c.type == tree.XML_PI_NODE
    )


cdef inline tree.xmlNode* _walked_from(tree.xmlNode* c):
    """The first node from c on that lxml's ``iterwalk`` visits: an element or an entity
    reference (not a comment nor a processing instruction, nor the text after them)."""
    while c is not NULL and c.type != tree.XML_ELEMENT_NODE and c.type != tree.XML_ENTITY_REF_NODE:
        c = c.next
    return c


cdef inline tree.xmlNode* _text_node(tree.xmlNode* c):
    """lxml's ``_textNodeOrSkip``: c when it is text, past XInclude markers, else NULL."""
    while c is not NULL:
        if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
            return c
        if c.type == tree.XML_XINCLUDE_START or c.type == tree.XML_XINCLUDE_END:
            c = c.next
            continue
        return NULL
    return NULL


cdef inline str _utf8(const char* s):
    if s is NULL:
        return ""
    return PyUnicode_DecodeUTF8(s, strlen(s), NULL)


cdef str _text_from(tree.xmlNode* c):
    """lxml's ``.text`` (from an element's first child) or ``.tail`` (from its next sibling):
    the text nodes there, joined; None where there are none."""
    c = _text_node(c)
    if c is NULL:
        return None
    cdef tree.xmlNode* more = _text_node(c.next)
    if more is NULL:
        return _utf8(<const char*>c.content)
    cdef bytes joined = b""
    while c is not NULL:
        if c.content is not NULL:
            joined += <bytes>(<const char*>c.content)
        c = _text_node(c.next)
    return joined.decode("utf-8")


cdef inline tree.xmlAttr* _attribute(tree.xmlNode* c, const char* name):
    """The element's first attribute of that name in no namespace (what ``el.get`` reads)."""
    cdef tree.xmlAttr* a = c.properties
    while a is not NULL:
        if a.ns is NULL and strcmp(<const char*>a.name, name) == 0:
            return a
        a = a.next
    return NULL


cdef inline str _value(cetree._Document doc, tree.xmlNode* c, tree.xmlAttr* a, str name):
    """``el.get(name)`` for an attribute found by ``_attribute``."""
    if a.children is NULL:
        return ""
    if a.children.next is NULL and (a.children.type == tree.XML_TEXT_NODE or a.children.type == tree.XML_CDATA_SECTION_NODE):
        return _utf8(<const char*>a.children.content)
    return cetree.elementFactory(doc, c).get(name)


cdef inline bint _has_children(tree.xmlNode* c):
    """``len(el)``: lxml counts elements, comments, entity references, processing instructions."""
    c = c.children
    while c is not NULL and not _is_element(c):
        c = c.next
    return c is not NULL


cdef bint _ascii_token_in(const unsigned char* value, tuple names) noexcept:
    """Whether a word of ``value`` (ASCII, split where ``str.split`` splits), lower-cased, is one
    of ``names`` (lower-case ASCII bytes): ``hidden_classes(value)`` without making a string."""
    cdef Py_ssize_t start = 0, end, n, m
    cdef bytes name
    cdef const unsigned char* chars
    while True:
        while value[start] and Py_UNICODE_ISSPACE(value[start]):
            start += 1
        if not value[start]:
            return False
        end = start
        while value[end] and not Py_UNICODE_ISSPACE(value[end]):
            end += 1
        for name in names:
            chars = <const unsigned char*>name
            n = len(name)
            if n == end - start:
                m = 0
                while m < n and _LOWER[value[start + m]] == chars[m]:
                    m += 1
                if m == n:
                    return True
        start = end


cdef inline bint _ascii_text(const unsigned char* value) noexcept nogil:
    while value[0]:
        if value[0] >= 128:
            return False
        value += 1
    return True


cdef bint _hidden(cetree._Document doc, tree.xmlNode* c, object style_search, object hidden_classes, tuple names=()):
    """``dom.is_hidden``: its attributes found in one pass over them. ``names``: the hidden
    classes (lower-case ASCII bytes), looked for in a class attribute of ASCII without calling
    ``hidden_classes``."""
    cdef tree.xmlAttr* a = c.properties
    cdef tree.xmlAttr* aria = NULL
    cdef tree.xmlAttr* style = NULL
    cdef tree.xmlAttr* klass = NULL
    cdef const char* name
    while a is not NULL:
        if a.ns is NULL:  # (the first of each name, as el.get reads it)
            name = <const char*>a.name
            if name[0] == c'h' and strcmp(name, "hidden") == 0:
                return True
            if name[0] == c'a' and aria is NULL and strcmp(name, "aria-hidden") == 0:
                aria = a
            elif name[0] == c's' and style is NULL and strcmp(name, "style") == 0:
                style = a
            elif name[0] == c'c' and klass is NULL and strcmp(name, "class") == 0:
                klass = a
        a = a.next
    if aria is not NULL and _value(doc, c, aria, "aria-hidden") == "true" and not _has_children(c):
        return True
    if style is not NULL and style_search(_value(doc, c, style, "style")) is not None:
        return True
    if klass is NULL:
        return False
    if (
        names
        and klass.children is not NULL
        and klass.children.next is NULL
        and klass.children.type == tree.XML_TEXT_NODE
        and klass.children.content is not NULL
        and _ascii_text(<const unsigned char*>klass.children.content)
    ):
        return _ascii_token_in(<const unsigned char*>klass.children.content, names)
    return bool(hidden_classes(_value(doc, c, klass, "class")))


cdef class NodeSpans:
    """Every element's span (its opening and closing document positions), as ``dom._runs``'s
    dict gives it: ``spans.get(el, default)``, ``spans[el]``, ``el in spans``, ``items()``. The
    spans are kept by libxml2 node, so the walk makes no lxml element for an element that nobody
    asks about (making them was a third of its time)."""

    cdef dict _spans  # node address → opening << 32 | closing
    cdef cetree._Document _doc  # (keeps the nodes alive)

    def __cinit__(self, cetree._Document doc):
        self._spans = {}
        self._doc = doc

    cdef inline object _find(self, object el):
        if not isinstance(el, cetree._Element):
            return None
        return self._spans.get(<Py_ssize_t>(<cetree._Element>el)._c_node)

    def get(self, el, default=None):
        packed = self._find(el)
        return default if packed is None else (packed >> 32, packed & 0xFFFFFFFF)

    def __getitem__(self, el):
        packed = self._find(el)
        if packed is None:
            raise KeyError(el)
        return (packed >> 32, packed & 0xFFFFFFFF)

    def __contains__(self, el):
        return self._find(el) is not None

    def __len__(self):
        return len(self._spans)

    def __iter__(self):
        for address in self._spans:
            yield cetree.elementFactory(self._doc, <tree.xmlNode*><Py_ssize_t>address)

    def keys(self):
        return list(self)

    def values(self):
        return [(packed >> 32, packed & 0xFFFFFFFF) for packed in self._spans.values()]

    def items(self):
        return list(zip(self.keys(), self.values()))


cdef extern from "Python.h":
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)


cdef Py_ssize_t _stripped_length(str text):
    """``len(text.strip())``, without making the stripped text."""
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t start = 0, end = PyUnicode_GET_LENGTH(text)
    while start < end and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, start)):
        start += 1
    while end > start and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1)):
        end -= 1
    return end - start


cdef class _Reading:
    """The run being read: its pieces, links, inline words, character counts; the runs so far."""

    cdef list runs, pieces, hrefs, inline_words
    cdef Py_ssize_t link_chars, bold_chars, raw_chars, start, link_depth, bold_depth
    cdef cetree._Document doc
    cdef tree.xmlNode* block  # the block element holding the run (an lxml element made for a run only)

    def __cinit__(self, cetree._Element root):
        self.runs = []
        self.pieces = []
        self.hrefs = []
        self.inline_words = []
        self.link_chars = self.bold_chars = self.raw_chars = self.start = 0
        self.link_depth = self.bold_depth = 0
        self.doc = root._doc
        self.block = root._c_node

    cdef inline void read(self, str text, Py_ssize_t order):
        cdef Py_ssize_t n
        if not self.pieces:
            self.start = order
        self.pieces.append(text)
        n = _stripped_length(text)
        if n:
            self.raw_chars += n
            if self.link_depth:
                self.link_chars += n
            if self.bold_depth:
                self.bold_chars += n

    cdef inline void end_run(self, Py_ssize_t order):
        if self.pieces or self.hrefs or self.inline_words:
            if self.raw_chars:
                self.runs.append(
                    (
                        "".join(self.pieces),
                        cetree.elementFactory(self.doc, self.block),
                        self.start,
                        order,
                        self.link_chars,
                        self.bold_chars,
                        self.raw_chars,
                        tuple(self.hrefs),
                        " ".join(self.inline_words),
                    )
                )
                self.link_chars = self.bold_chars = self.raw_chars = 0
            self.pieces.clear()
            self.hrefs.clear()
            self.inline_words.clear()


def runs(cetree._Element root not None, dict kinds, object style_search, object hidden_classes, tuple hidden_names=()):
    """``dom._runs(root)``: the page's runs of text, its links and images, every element's span
    (a ``NodeSpans``). ``hidden_names``: ``hidden_classes``'s classes, as lower-case ASCII bytes."""
    cdef cetree._Document doc = root._doc
    cdef tree.xmlNode* top = root._c_node
    cdef tree.xmlNode* c = top
    cdef tree.xmlNode* nxt
    cdef tree.xmlAttr* a_class
    cdef tree.xmlAttr* a_id
    cdef tree.xmlAttr* a_href
    cdef _Reading r = _Reading(root)
    cdef Py_ssize_t order = 0, begin
    cdef int kind
    cdef bint skip
    cdef NodeSpans spans = NodeSpans(doc)
    cdef dict by_node = spans._spans
    cdef list anchors = []
    cdef list opened = []  # the open elements' positions and kinds: position << 8 | kind
    cdef list blocks = []  # the blocks that held the run before the open ones
    cdef str text, tag, words, href, klass, ident
    cdef const tree.xmlChar* cached_names[64]  # the kinds of the names met, by their address
    cdef int cached_kinds[64]
    cdef size_t slot
    for slot in range(64):
        cached_names[slot] = NULL
    while True:
        # The element c opens.
        order += 1
        skip = True
        if c.type == tree.XML_ELEMENT_NODE:
            slot = (<size_t>c.name >> 4) & 63
            if c.ns is NULL and cached_names[slot] == c.name:
                kind = cached_kinds[slot]
            else:
                tag = _utf8(<const char*>c.name) if c.ns is NULL else cetree.elementFactory(doc, c).tag
                kind = kinds.get(tag, 0)
                if c.ns is NULL:  # (the parser keeps each name once: a name's kind is looked up once)
                    cached_names[slot] = c.name
                    cached_kinds[slot] = kind
            if kind & _SKIPPED:  # scripts, menus, <br>
                if kind == _BREAK and (r.pieces or r.hrefs or r.inline_words) and not _hidden(doc, c, style_search, hidden_classes, hidden_names):
                    r.end_run(order)
            else:
                skip = _hidden(doc, c, style_search, hidden_classes, hidden_names)
        if skip:  # only its tail is read
            text = _text_from(c.next)
            if text:
                r.read(text, order)
        else:
            opened.append(order << 8 | kind)
            if kind & _BLOCK:
                r.end_run(order)
                blocks.append(<Py_ssize_t>r.block)
                r.block = c
            elif kind & _LINK:
                r.link_depth += 1
                a_href = _attribute(c, "href")
                if a_href is not NULL:
                    href = _value(doc, c, a_href, "href")
                    if href:
                        anchors.append((order, cetree.elementFactory(doc, c)))
                        r.hrefs.append(href)
            elif kind & _IMAGE:
                anchors.append((order, cetree.elementFactory(doc, c)))
            else:
                a_class = _attribute(c, "class")
                a_id = _attribute(c, "id")
                klass = _value(doc, c, a_class, "class") if a_class is not NULL else None
                ident = _value(doc, c, a_id, "id") if a_id is not NULL else None
                if klass or ident:
                    words = f"{klass if klass is not None else ''} {ident if ident is not None else ''}".lower()
                    # "15:40" and "2.315 lượt xem" in spans of their own are two items; a counter drawn
                    # digit by digit in spans of one class stays one number (as dom._runs).
                    if (
                        r.pieces
                        and r.pieces[-1][-1:].isalnum()
                        and (_text_from(c.children) or "").lstrip()[:1].isdigit()
                        and (not r.inline_words or r.inline_words[-1] != words)
                    ):
                        r.pieces.append(" ")
                    r.inline_words.append(words)
            if kind & _BOLD:
                r.bold_depth += 1
            text = _text_from(c.children)
            if text:
                r.read(text, order)
            nxt = _walked_from(c.children)
            if nxt is not NULL:
                c = nxt
                continue
        # c has no more to read: it closes, and so do its ancestors that have nothing after it.
        while True:
            if not skip:
                begin = opened.pop()
                kind = begin & 0xFF
                begin >>= 8
                order += 1
                by_node[<Py_ssize_t>c] = begin << 32 | order
                if kind:
                    if kind & _BLOCK:
                        r.end_run(order)
                        r.block = <tree.xmlNode*><Py_ssize_t>blocks.pop()
                    elif kind & _LINK:
                        r.link_depth -= 1
                    if kind & _BOLD:
                        r.bold_depth -= 1
                text = _text_from(c.next)
                if text:
                    r.read(text, order)
            if c is top:
                if r.raw_chars:
                    r.end_run(order)
                return r.runs, anchors, spans
            nxt = _walked_from(c.next)
            if nxt is not NULL:
                c = nxt
                break
            c = c.parent
            skip = False


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

# A character's index for ``needles_in``'s pairs: an ASCII letter lower-cased, another ASCII
# character as it is, NUL 0 (see ``_index`` for the characters outside ASCII).
cdef unsigned char _LOWER[128]
for _c in range(128):
    _LOWER[_c] = _c + 32 if 65 <= _c <= 90 else _c


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


def collapse_many(str joined, str separator):
    """``[t.strip() for t in " ".join(joined.split()).split(separator)]``: the texts joined by
    ``separator`` (a character that is not whitespace), each with its whitespace collapsed."""
    cdef int kind = PyUnicode_KIND(joined)
    cdef void* data = PyUnicode_DATA(joined)
    cdef Py_ssize_t i, n = 0, length = PyUnicode_GET_LENGTH(joined)
    cdef Py_UCS4 c, sep
    cdef Py_UCS4* out
    cdef bint space = False
    cdef list texts = []
    if len(separator) != 1 or separator.isspace():
        raise ValueError("the separator is one character, not whitespace")
    sep = ord(separator)
    out = <Py_UCS4*>malloc((length + 1) * sizeof(Py_UCS4))
    if out is NULL:
        raise MemoryError()
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
    cdef Py_UCS4* out
    cdef bint alone = True
    cdef list texts = []
    if len(separator) != 1 or ord(separator) >= 128:
        raise ValueError("the separator is one ASCII character")
    sep = ord(separator)
    out = <Py_UCS4*>malloc((length + 1) * sizeof(Py_UCS4))
    if out is NULL:
        raise MemoryError()
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
