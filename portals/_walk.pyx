# cython: language_level=3, boundscheck=False, cdivision=True
"""The compiled form of the reading walk over a parsed page (``portals.extract.dom._runs``).

It gives exactly what the Python form gives (tests/test_speedups.py compares them on every saved
page); the Python form runs where this module is not built or does not load (a build for another
lxml): see ``portals.speedups``. It reads libxml2's nodes through lxml's public C API, as lxml's
own ``iterwalk``, ``.text``, ``.tail`` and ``.get`` do, and makes an lxml element only for the
elements it returns (the blocks that hold a run, the links and images).
"""

cimport lxml.includes.etreepublic as cetree
from lxml.includes cimport tree

include "_common.pxi"

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
