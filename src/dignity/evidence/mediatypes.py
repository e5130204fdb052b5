"""What a file is, from its first bytes (magic numbers), never from its name (SECURITY.md item 30).

A small table of our own: no content-type library is installed yet. It knows the formats evidence
usually comes in (documents, images, audio, video, archives, text) and the ones that are *active*
(web pages, SVG, scripts, executables), which a browser or an operating system would run.

Intake policy (`check`): active content, and a name whose extension promises one type while the
content is another known type (a `.pdf` that is really HTML), are refused unless the caller allows
them (`allow_active`): spyware samples and phishing pages are evidence too, but only someone who
means to keep them should store them. Content of no known type is kept as
`application/octet-stream`, whatever its name. Whatever is stored keeps the detected type;
nothing is ever served inline on the strength of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from dignity.exc import FieldError, InvalidInput

HEAD_BYTES = 4096  # how much of the start of a file detection looks at
OCTET_STREAM = "application/octet-stream"

# (offset, magic, media type): the first match wins, so longer magics come before their prefixes.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"BM", "image/bmp"),
    (0, b"\x1aE\xdf\xa3", "video/x-matroska"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"#!AMR", "audio/amr"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"PK\x05\x06", "application/zip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc, .xls, .msg
    (0, b"{\\rtf", "application/rtf"),
    (0, b"\x7fELF", "application/x-executable"),
    (0, b"MZ", "application/x-msdownload"),
    (0, b"\xfe\xed\xfa\xce", "application/x-mach-binary"),
    (0, b"\xfe\xed\xfa\xcf", "application/x-mach-binary"),
    (0, b"\xce\xfa\xed\xfe", "application/x-mach-binary"),
    (0, b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    (0, b"dex\n", "application/vnd.android.dex"),
    (0, b"#!", "text/x-shellscript"),
    (0, b"\xff\xfe", "text/plain"),  # UTF-16 with its byte order mark (Windows "Unicode")
    (0, b"\xfe\xff", "text/plain"),
)
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_FTYP = {  # ISO base media brands (MP4, QuickTime, HEIF, 3GP)
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
    b"avif": "image/avif",
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
}
_MARKUP = (
    (b"<!doctype html", "text/html"),
    (b"<html", "text/html"),
    (b"<head", "text/html"),
    (b"<body", "text/html"),
    (b"<script", "text/html"),
    (b"<iframe", "text/html"),
    (b"<svg", "image/svg+xml"),
)

ACTIVE = frozenset(
    {
        "text/html",
        "image/svg+xml",
        "text/x-shellscript",
        "application/x-executable",
        "application/x-msdownload",
        "application/x-mach-binary",
        "application/vnd.android.dex",
    }
)

# What the content of a file with this extension may be; an extension not listed is not checked.
_EXTENSIONS: dict[str, frozenset[str]] = {
    ".pdf": frozenset({"application/pdf"}),
    ".png": frozenset({"image/png"}),
    ".jpg": frozenset({"image/jpeg"}),
    ".jpeg": frozenset({"image/jpeg"}),
    ".gif": frozenset({"image/gif"}),
    ".webp": frozenset({"image/webp"}),
    ".tif": frozenset({"image/tiff"}),
    ".tiff": frozenset({"image/tiff"}),
    ".heic": frozenset({"image/heic", "image/heif"}),
    ".mp4": frozenset({"video/mp4", "audio/mp4", "video/quicktime"}),
    ".m4a": frozenset({"audio/mp4", "video/mp4"}),
    ".mov": frozenset({"video/quicktime", "video/mp4"}),
    ".mkv": frozenset({"video/x-matroska"}),
    ".webm": frozenset({"video/webm", "video/x-matroska"}),
    ".mp3": frozenset({"audio/mpeg"}),
    ".wav": frozenset({"audio/wav"}),
    ".ogg": frozenset({"audio/ogg"}),
    ".opus": frozenset({"audio/ogg"}),
    ".flac": frozenset({"audio/flac"}),
    ".zip": frozenset({"application/zip"}),
    ".docx": frozenset({"application/zip"}),
    ".xlsx": frozenset({"application/zip"}),
    ".odt": frozenset({"application/zip"}),
    ".txt": frozenset({"text/plain"}),
    ".csv": frozenset({"text/plain"}),
    ".json": frozenset({"text/plain"}),
    ".html": frozenset({"text/html"}),
    ".htm": frozenset({"text/html"}),
    ".svg": frozenset({"image/svg+xml"}),
}


def _mp3_frame(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut off by the end of the head is still text.
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True


def detect(head: bytes) -> str:
    """The media type of a file that starts with `head` (its first `HEAD_BYTES` bytes, or all)."""
    for offset, magic, media_type in _MAGIC:
        if head.startswith(magic, offset):
            if media_type == "video/x-matroska" and b"webm" in head[:64]:
                return "video/webm"
            return media_type
    if head.startswith(b"RIFF") and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp":
        return _FTYP.get(head[8:12], "video/mp4")
    if _mp3_frame(head):
        return "audio/mpeg"
    if _is_text(head):
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if text.startswith(b"<?xml"):
            return "image/svg+xml" if b"<svg" in text else "application/xml"
        for marker, media_type in _MARKUP:
            if text.startswith(marker) or (media_type == "text/html" and marker in text[:1024]):
                return media_type
        return "text/plain"
    return OCTET_STREAM


@dataclass(frozen=True)
class Decision:
    media_type: str
    active: bool
    mismatch: bool  # the name's extension promises another type


def check(filename: str, head: bytes, *, allow_active: bool) -> Decision:
    """The detected type of the content, or `InvalidInput` if the intake policy refuses it."""
    media_type = detect(head)
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    expected = _EXTENSIONS.get(suffix)
    # Content of no known type does not contradict a name; a known other type does.
    mismatch = expected is not None and media_type not in expected and media_type != OCTET_STREAM
    decision = Decision(media_type, media_type in ACTIVE, mismatch)
    if allow_active:
        return decision
    if decision.mismatch:
        raise InvalidInput(
            f"{filename!r}: nothing was stored",
            [FieldError("file", f"the content is {media_type}, not what its name says")],
        )
    if decision.active:
        raise InvalidInput(
            f"{filename!r}: nothing was stored",
            [
                FieldError(
                    "file",
                    f"the content is {media_type}, which runs when opened (allow active "
                    "content to keep it as evidence)",
                )
            ],
        )
    return decision
