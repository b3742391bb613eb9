# Included by portals/_scan.pyx and portals/_walk.pyx.

from cpython.unicode cimport (
    PyUnicode_1BYTE_KIND,
    PyUnicode_2BYTE_KIND,
    PyUnicode_DATA,
    PyUnicode_DecodeUTF8,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_READ,
)
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memchr, strcmp, strlen

cdef extern from "Python.h":
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)

# An ASCII character lower-cased (a letter; another as it is). For ``needles_in``, a character's
# index among the pairs (see ``_index``, NUL and the characters outside ASCII 0).
cdef unsigned char _LOWER[128]
for _c in range(128):
    _LOWER[_c] = _c + 32 if 65 <= _c <= 90 else _c
