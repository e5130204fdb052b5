"""The evidence upload form read as it arrives: a pull-style reader over python-multipart's
streaming parser, and the collection record from the form's fields.

The body is parsed in the worker thread that stores the files (`FormParts` pulls it from a
`BodyPipe`): text fields are kept in memory (few and small), and each file's bytes are handed on
as they are parsed, straight into `evidence.add_evidence`, which encrypts them before anything is
written. Nothing of a file is ever written as plaintext, not even to a temporary file
(SECURITY.md item 5). The form's CSRF token and collection fields come before its files (browsers
send fields in the form's order), so they are known when the first file begins.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from dignity.evidence import services as evidence
from dignity.exc import FieldError, InvalidInput

FIELD_MAX = 4000  # bytes of one text field
FIELDS_MAX = 30  # text fields in one form
COLLECTION_FIELDS = (
    "collected_by",
    "method",
    "tool",
    "tool_version",
    "account_or_persona",
    "source",
    "collected_at",
    "clock_source",
    "purpose",
)
LABELS = {
    "collected_by": "Collected by",
    "method": "Method",
    "tool": "Tool",
    "tool_version": "Tool version",
    "account_or_persona": "Account or persona used",
    "source": "Source URL or device",
    "collected_at": "Collected at (UTC)",
    "clock_source": "Clock source",
    "purpose": "Purpose",
    "file": "Files",
}
MALFORMED = "the upload could not be read; reload the page and try again"


@dataclass(frozen=True)
class Part:
    """What the reader found next: a text field, a file beginning, file bytes, or a part's end."""

    kind: str  # field | file | data | end
    name: str = ""
    value: str = ""  # a field's value, or a file's name as sent
    data: bytes = b""


def boundary_of(content_type: str | None) -> bytes:
    kind, params = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not params.get(b"boundary"):
        raise InvalidInput(MALFORMED, [FieldError("file", "send the form as multipart/form-data")])
    return params[b"boundary"]


class FormParts:
    """Reads a multipart/form-data body chunk by chunk and yields its `Part`s in order."""

    def __init__(self, body: Iterable[bytes], boundary: bytes) -> None:
        self.body = body
        self.found: deque[Part] = deque()
        self.fields = 0
        self._header = b""
        self._disposition = b""
        self._name = ""
        self._file = False
        self._value = bytearray()
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )

    def __iter__(self) -> Iterator[Part]:
        try:
            for chunk in self.body:
                self.parser.write(chunk)
                while self.found:
                    yield self.found.popleft()
            self.parser.finalize()
        except FormParserError:
            raise InvalidInput(MALFORMED, [FieldError("file", "not a valid form")]) from None
        yield from self.found

    def _begin(self) -> None:
        self._disposition, self._name, self._file = b"", "", False
        self._value = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition += data[start:end]

    def _header_end(self) -> None:
        self._header = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self._file = True
            filename = options[b"filename"].decode("utf-8", "surrogateescape")
            self.found.append(Part("file", self._name, filename))
            return
        self.fields += 1
        if self.fields > FIELDS_MAX:
            raise InvalidInput(MALFORMED, [FieldError("form", "too many fields")])

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._file:
            self.found.append(Part("data", self._name, data=bytes(data[start:end])))
            return
        self._value += data[start:end]
        if len(self._value) > FIELD_MAX:
            raise InvalidInput("a field is too long", [FieldError(self._name, "too long")])

    def _end(self) -> None:
        if self._file:
            self.found.append(Part("end", self._name))
        else:
            self.found.append(Part("field", self._name, self._value.decode("utf-8", "replace")))


def file_bytes(parts: Iterator[Part]) -> Iterator[bytes]:
    """The bytes of the file whose `file` part was just read, up to its end."""
    for part in parts:
        if part.kind == "end":
            return
        if part.kind == "data":
            yield part.data


def parse_collected_at(text: str) -> datetime | str:
    """A time from the form: ISO 8601, taken as UTC when it names no offset (the form says UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def collection_from(values: dict[str, object]) -> evidence.Collection:
    """The collection record from form fields (or the upload script's JSON), or `InvalidInput`
    naming each field that is wrong."""
    given = {k: v for k, v in values.items() if k in COLLECTION_FIELDS and v not in ("", None)}
    unknown = sorted(set(values) - set(COLLECTION_FIELDS))
    if unknown:
        raise InvalidInput(
            "the collection record is not valid",
            [FieldError(name, "not a field of the collection record") for name in unknown[:5]],
        )
    if isinstance(given.get("collected_at"), str):
        given["collected_at"] = parse_collected_at(str(given["collected_at"]))
    return evidence.collection(**given)
