"""Types come from the content's first bytes (SECURITY.md item 30): a table of real starts of files,
and the intake policy on active content and names that contradict the content."""

from __future__ import annotations

import pytest

from dignity.evidence.mediatypes import OCTET_STREAM, check, detect
from dignity.exc import InvalidInput


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\x82\x84webm", "video/webm"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"ID3\x04\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64", "audio/mpeg"),
        (b"PK\x03\x04\x14\x00", "application/zip"),
        (b"\x7fELF\x02\x01\x01", "application/x-executable"),
        (b"MZ\x90\x00\x03\x00", "application/x-msdownload"),
        (b"#!/bin/sh\nrm -rf /\n", "text/x-shellscript"),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html>", "text/html"),
        (b"Dear reader,\n<script>alert(1)</script>", "text/html"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">', "image/svg+xml"),
        (b'<?xml version="1.0"?>\n<report/>', "application/xml"),
        ("شهادة مكتوبة\n".encode(), "text/plain"),
        ("é".encode() * 2047 + b"\xc3", "text/plain"),  # a character cut at the end of the head
        (b"\xff\xfeh\x00e\x00", "text/plain"),
        (b"", "text/plain"),
        (b"\x00\x01\x02\x03\xfe\x80", OCTET_STREAM),
    ],
)
def test_detect(head: bytes, media_type: str) -> None:
    assert detect(head) == media_type


@pytest.mark.parametrize(
    ("name", "head", "refused"),
    [
        ("statement.pdf", b"%PDF-1.7", False),
        ("STATEMENT.PDF", b"%PDF-1.7", False),
        ("statement.pdf", b"<html><body>", True),
        ("photo.jpeg", b"%PDF-1.7", True),
        ("photo.jpeg", b"\x00\x01\x02\xfe\x80", False),  # unknown content contradicts nothing
        ("C:\\Users\\x\\clip.mp4", b"\x00\x00\x00\x18ftypmp42", False),
        ("sample", b"\x7fELF\x02", True),
        ("index.html", b"<html>", True),
        ("notes", b"plain words", False),
    ],
)
def test_the_intake_policy(name: str, head: bytes, refused: bool) -> None:
    if refused:
        with pytest.raises(InvalidInput, match="nothing was stored"):
            check(name, head, allow_active=False)
    else:
        assert check(name, head, allow_active=False).media_type == detect(head)
    assert check(name, head, allow_active=True).media_type == detect(head)
