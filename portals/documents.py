"""The text of documents attached to articles (decisions, plans, reports), page by page.

``read_document(data)`` reads PDF (pypdf), DOCX (python-docx), XLSX (openpyxl, read-only:
one page per sheet), RTF (striprtf; the "Word" ``.doc`` forms many portals offer are RTF) and Word
97–2003 binary ``.doc`` (antiword, where installed), known by their bytes, in the calling process; ``extract_document`` does the
same in a child process (``python -m portals.documents``) bounded in input size, memory and time,
so that a hostile or huge file ends as a status, never as a crawl that hangs or runs out of memory.
Both always return a ``DocumentText``, whose status is one of:

- ``text``: pages of text (stored in the form ``portals.text.clean`` gives, line by line);
- ``no_text_layer``: a document with pages and no text on any (a scanned PDF);
- ``unsupported``: not a format read here (images, archives, Excel 97–2003; Word 97–2003 binary
  ``.doc`` where antiword is not installed);
- ``too_large``: larger than the limit, as sent or once unzipped (a zip bomb);
- ``failed: REASON``: a file that could not be read (corrupt, encrypted, timeout, out of memory).

What is read is bounded too: at most ``max_pages`` pages and ``max_chars`` characters of text
(the rest is left out). Nothing here touches the network or a database.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .text import clean

TEXT, NO_TEXT_LAYER, UNSUPPORTED, TOO_LARGE = "text", "no_text_layer", "unsupported", "too_large"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97–2003, Excel 97–2003 …


@dataclass(frozen=True)
class Limits:
    """How much of a document is read, and with what."""

    max_bytes: int = 25 * 1024 * 1024  # the file as fetched
    max_unzipped: int = 100 * 1024 * 1024  # a DOCX's or XLSX's parts, uncompressed
    max_pages: int = 2_000
    max_chars: int = 2_000_000  # of text, all pages together
    timeout: float = 30.0  # seconds of the child process
    memory: int = 1024 * 1024 * 1024  # bytes of address space of the child process


@dataclass(frozen=True)
class DocumentText:
    status: str
    pages: tuple[str, ...] = field(default=())  # text of page 1, 2, …  ("" for a page without text)

    def to_dict(self) -> dict[str, object]:
        return {"status": self.status, "pages": list(self.pages)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DocumentText:
        pages = data.get("pages") or []
        return cls(str(data["status"]), tuple(str(p) for p in pages))  # type: ignore[union-attr]


def failed(reason: str) -> DocumentText:
    return DocumentText(f"failed: {reason}"[:200])


def document_format(data: bytes) -> str | None:
    """``pdf``, ``docx``, ``xlsx``, ``rtf``, ``doc`` (any OLE file: Word or Excel 97–2003) or None, from the
    bytes themselves (portals serve documents as ``application/octet-stream``, and name them
    ``.pdf`` when they are error pages)."""
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(_OLE_MAGIC):
        return "doc"
    if data.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def read_document(data: bytes, limits: Limits | None = None) -> DocumentText:
    """The text of a document, in this process (no time or memory bound: ``extract_document``)."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        return DocumentText(TOO_LARGE)
    kind = document_format(data)
    if kind is None or (kind == "doc" and not shutil.which("antiword")):
        return DocumentText(UNSUPPORTED)
    if kind in ("docx", "xlsx"):
        try:
            unzipped = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            return failed(f"unreadable {kind.upper()}: {exc}")
        if unzipped > limits.max_unzipped:
            return DocumentText(TOO_LARGE)
    reader = {"pdf": _pdf_pages, "docx": _docx_pages, "xlsx": _xlsx_pages, "rtf": _rtf_pages, "doc": _doc_pages}[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # libraries warn about every oddity of a broken file
            raw = reader(data, limits.max_pages)
    except NotWord:
        return DocumentText(UNSUPPORTED)
    except MemoryError:
        return failed("out of memory")
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "encrypt" in message.lower() or "password" in message.lower():
            return failed("encrypted")
        return failed(f"unreadable {kind.upper()}: {message}")
    pages = _bounded([_clean_page(p) for p in raw], limits.max_chars)
    if not pages:
        return failed(f"unreadable {kind.upper()}: no pages")
    return DocumentText(TEXT if any(pages) else NO_TEXT_LAYER, tuple(pages))


def _clean_page(text: str) -> str:
    """The stored form of a page: each line cleaned, empty lines dropped."""
    return "\n".join(line for line in map(clean, text.splitlines()) if line)


def _bounded(pages: list[str], max_chars: int) -> list[str]:
    out, left = [], max_chars
    for page in pages:
        out.append(page[: max(left, 0)])
        left -= len(page)
    return out


def _pdf_pages(data: bytes, max_pages: int) -> list[str]:
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(data), strict=False)
    if pdf.is_encrypted and not pdf.decrypt(""):
        raise ValueError("encrypted")
    return [page.extract_text() or "" for page in pdf.pages[:max_pages]]


def _docx_pages(data: bytes, max_pages: int) -> list[str]:
    """Pages as the document breaks them (page breaks typed, and those Word saved as rendered)."""
    from docx import Document
    from docx.table import Table

    pages: list[list[str]] = [[]]
    for block in Document(io.BytesIO(data)).iter_inner_content():
        if isinstance(block, Table):
            pages[-1] += [" | ".join(cell.text for cell in row.cells) for row in block.rows]
            continue
        pages[-1].append(block.text)
        breaks = block._p.xpath('.//w:br[@w:type="page"] | .//w:lastRenderedPageBreak')
        if breaks and len(pages) < max_pages:
            pages.append([])
    return ["\n".join(lines) for lines in pages if any(line.strip() for line in lines)] or [""]


class NotWord(ValueError):
    """An OLE file that is no Word document (an Excel 97-2003 workbook, say)."""


def _doc_pages(data: bytes, max_pages: int) -> list[str]:
    """Word 97-2003 binary documents, read by antiword (Debian's, installed by ``bootstrap.py``
    and CI beside Chromium): UTF-8 text, pages split where the document breaks them."""
    with tempfile.NamedTemporaryFile(suffix=".doc") as file:
        file.write(data)
        file.flush()
        proc = subprocess.run(
            [shutil.which("antiword") or "antiword", "-m", "UTF-8.txt", "-w", "0", file.name],
            capture_output=True,
            timeout=60,
            check=False,
        )
    if proc.returncode != 0:
        message = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["antiword failed"])[-1]
        if "not a Word Document" in message:
            raise NotWord(message)
        raise ValueError(message.removeprefix(file.name).strip(" :") or "antiword failed")
    return proc.stdout.decode("utf-8", "replace").split("\f")[:max_pages]


def _rtf_pages(data: bytes, max_pages: int) -> list[str]:
    """One page: RTF has no pages of its own. ``\\'hh`` escapes are in the code page the header
    names (``\\ansicpg1258``: Vietnamese), ``\\uN`` ones are Unicode."""
    from striprtf.striprtf import rtf_to_text

    page = _RTF_CODEPAGE.search(data[:4096])
    encoding = f"cp{int(page.group(1))}" if page else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:  # a code page Python does not know
        encoding = "cp1252"
    return [rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")]


_RTF_CODEPAGE = re.compile(rb"\\ansicpg(\d{3,5})")


def _xlsx_pages(data: bytes, max_pages: int) -> list[str]:
    """One page per sheet: its name, then a line per row, cells separated by " | "."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        pages = []
        for sheet in book.worksheets[:max_pages]:
            lines = [sheet.title]
            for row in sheet.iter_rows(values_only=True):
                cells = [str(v) for v in row if v is not None and str(v).strip()]
                if cells:
                    lines.append(" | ".join(cells))
            pages.append("\n".join(lines))
        return pages
    finally:
        book.close()


def extract_document(data: bytes, limits: Limits | None = None) -> DocumentText:
    """``read_document`` in a child process bounded in time (``limits.timeout``) and memory
    (``limits.memory``); what needs no parsing (too large, not a format read here) is answered
    without one."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        return DocumentText(TOO_LARGE)
    kind = document_format(data)
    if kind is None or (kind == "doc" and not shutil.which("antiword")):
        return DocumentText(UNSUPPORTED)
    root = str(Path(__file__).resolve().parent.parent)  # where ``portals`` is (a zipped egg too)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "portals.documents", json.dumps(limits.__dict__)],
            input=data,
            capture_output=True,
            timeout=limits.timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return failed("timeout")
    except OSError as exc:
        return failed(f"cannot start the reader: {exc.strerror or exc}")
    if proc.returncode != 0:
        if b"MemoryError" in proc.stderr:
            return failed("out of memory")
        return failed(f"the reader ended with {proc.returncode}")
    try:
        return DocumentText.from_dict(json.loads(proc.stdout))
    except (ValueError, KeyError, TypeError):
        return failed("the reader's output is unreadable")


def _child(argv: list[str]) -> None:
    limits = Limits(**json.loads(argv[0]))
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
        seconds = int(limits.timeout) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    except (ImportError, ValueError, OSError):  # not on this system: the parent's timeout still holds
        pass
    data = sys.stdin.buffer.read()
    result = read_document(data, limits)
    sys.stdout.write(json.dumps(result.to_dict()))


if __name__ == "__main__":  # the child of ``extract_document``
    _child(sys.argv[1:])
