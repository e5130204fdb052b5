"""The one place untrusted XML is parsed (SECURITY.md item 28).

lxml, for streaming speed on large official lists, with entity resolution, network access and DTD
loading switched off and huge trees refused. Any DOCTYPE is refused outright: no official list
carries one, and it is how entity-expansion and external-entity attacks begin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from dignity.exc import FieldError, InvalidInput


def _parser_options() -> dict[str, bool]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
        "dtd_validation": False,
    }


def local_name(tag: object) -> str:
    """The tag without its namespace: `{http://...}sdnEntry` -> `sdnEntry`."""
    text = str(tag)
    return text.rsplit("}", 1)[-1]


_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_CHUNK = 1 << 20
NEWLINE = b"\n"


WIDE_ENCODINGS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\x00<", b"<\x00")


def _check_no_doctype(path: Path) -> None:
    """Refuse a DOCTYPE or entity declaration anywhere in the file, naming its line.

    Official lists are UTF-8 (or ASCII-compatible); UTF-16 and UTF-32 files are refused first, since
    a byte scan cannot see a DOCTYPE written in them.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(WIDE_ENCODINGS):
        problem = FieldError(
            "encoding", "UTF-16 or UTF-32 XML is not accepted; use UTF-8", str(path)
        )
        raise InvalidInput("refused XML file", [problem])
    line, tail = 1, b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            window = tail + chunk
            upper = window.upper()
            for marker in _MARKERS:
                at = upper.find(marker)
                if at >= 0:
                    number = line + window.count(NEWLINE, 0, at) - tail.count(NEWLINE)
                    where = f"{path}:{number}"
                    problem = FieldError(
                        "DOCTYPE", "XML with a DOCTYPE or entity is refused", where
                    )
                    raise InvalidInput("refused XML file", [problem])
            line += chunk.count(NEWLINE)
            tail = window[-(len(b"<!DOCTYPE") - 1) :]


def iterparse(path: Path, tags: set[str]) -> Iterator[etree._Element]:
    """Stream the elements whose local name is in `tags`, clearing each one after it is used.

    A file that is not well-formed XML (truncated, wrong encoding) raises `InvalidInput` naming the
    file and line.
    """
    _check_no_doctype(path)
    with path.open("rb") as handle:
        yield from _iterparse(handle, path, tags)


def _iterparse(handle: BinaryIO, path: Path, tags: set[str]) -> Iterator[etree._Element]:
    context = etree.iterparse(handle, events=("end",), **_parser_options())
    try:
        for _event, element in context:
            if local_name(element.tag) in tags:
                yield element
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as error:
        line = getattr(error, "lineno", None) or (error.position[0] if error.position else "?")
        raise InvalidInput(
            "the file is not well-formed XML",
            [FieldError("xml", str(error.msg or error), f"{path}:{line}")],
        ) from error


def parse(path: Path) -> etree._Element:
    """Parse a whole (small) document, with the same protections as `iterparse`."""
    _check_no_doctype(path)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as error:
        raise InvalidInput(
            "the file is not well-formed XML",
            [FieldError("xml", str(error.msg or error), f"{path}:{error.lineno}")],
        ) from error
