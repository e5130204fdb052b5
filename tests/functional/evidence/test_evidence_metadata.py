"""Metadata read from an item's own bytes at intake: EXIF of a photograph (camera, time, GPS
position flagged as sensitive), PDF document information; sealed in the store; a decompression
bomb is refused without being decoded; the original's bytes are unchanged."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from fractions import Fraction

from evidence_helpers import Vault, record, vault
from fastapi import FastAPI
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import text
from sqlalchemy.orm import Session

from dignity.evidence import services as evidence
from dignity.evidence.blobs import LocalBlobStore
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.monitoring import team
from factories.web import staff

__all__ = ["vault"]  # the fixture, used by name
ARTIST = "Canary Photographer Adam-9Z"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (120, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS 5D"  # Model
    exif[0x013B] = ARTIST  # Artist
    gps = exif.get_ifd(0x8825)
    gps.update(
        {
            1: "N",  # GPSLatitudeRef
            2: (Fraction(13), Fraction(27), Fraction(1818, 100)),  # 13° 27' 18.18"
            3: "E",  # GPSLongitudeRef
            4: (Fraction(22), Fraction(26), Fraction(3564, 100)),  # 22° 26' 35.64"
        }
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header declares a huge image (the data is a few bytes: a bomb's shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_photographs_exif_and_position_are_read_sealed_and_flagged(vault: Vault) -> None:
    photo = _jpeg_with_gps()
    item = vault.add(photo, "IMG_0412.jpg", chunk_bytes=4096)
    assert item.media_type == "image/jpeg"
    assert item.metadata_flags == ["location"]
    found = evidence.metadata_of(vault.session, vault.keyring, item)
    assert (found["width"], found["height"], found["format"]) == (64, 48, "JPEG")
    assert found["exif"]["Make"] == "Canon"
    assert found["exif"]["Artist"] == ARTIST
    assert found["location"]["latitude"] == round(13 + 27 / 60 + 18.18 / 3600, 6)
    assert found["location"]["longitude"] == round(22 + 26 / 60 + 35.64 / 3600, 6)
    # Sealed in the store, and the original is exactly what was received.
    raw = vault.session.execute(
        text("SELECT sealed_metadata FROM evidence_items WHERE id = :id"), {"id": item.id}
    ).scalar_one()
    assert ARTIST.encode() not in bytes(raw)
    assert (
        hashlib.sha256(vault.read(item)).hexdigest()
        == item.sha256
        == hashlib.sha256(photo).hexdigest()
    )


def test_pdf_document_information_is_read(vault: Vault) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata(
        {"/Author": "Ministry of Interior", "/Title": "Order 17", "/CreationDate": "D:20230614"}
    )
    out = io.BytesIO()
    writer.write(out)
    item = vault.add(out.getvalue(), "order-17.pdf", chunk_bytes=4096)
    found = evidence.metadata_of(vault.session, vault.keyring, item)
    assert (found["author"], found["title"], found["pages"]) == (
        "Ministry of Interior",
        "Order 17",
        1,
    )
    assert found["created"] == "2023-06-14"
    assert item.metadata_flags == []


def test_a_decompression_bomb_is_refused_without_being_decoded(vault: Vault) -> None:
    item = vault.add(_png_claiming(100_000, 100_000), "huge.png", chunk_bytes=4096)
    found = evidence.metadata_of(vault.session, vault.keyring, item)
    assert "decompression bomb" in found["refused"]
    assert "exif" not in found


def test_files_without_readable_metadata_keep_none(vault: Vault) -> None:
    item = vault.add(b"plain testimony notes", "notes.txt")
    assert evidence.metadata_of(vault.session, vault.keyring, item) == {}
    assert item.metadata_flags == []


def test_the_item_page_shows_the_metadata_and_warns_of_the_position(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    project = team(session, "Darfur 2023")
    me = staff(app, session, settings, "investigator", project, Role.INVESTIGATOR)
    item = evidence.add_evidence(
        session,
        me.principal,
        app.state.keyring,
        LocalBlobStore(settings.evidence_dir),
        project.id,
        [_jpeg_with_gps()],
        filename="IMG_0412.jpg",
        collection=record(),
        max_bytes=10**7,
    )
    session.commit()
    page = me.client.get(f"/evidence/{item.id}")
    assert page.status_code == 200
    assert "the file records where it was made" in page.text
    assert ARTIST in page.text
    assert "13.455" in page.text  # the latitude
