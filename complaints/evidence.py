"""Evidence files: what is accepted, how uploads are hashed and stored, and
how they leave the system.

Acceptance is decided here and only here, by content: libmagic (python-magic)
names the type from the bytes, never from the extension or the browser's
content type; images are opened with Pillow (pixel cap against decompression
bombs); PDFs with active content, spreadsheets with macros, archives, markup,
scripts and executables are refused, and so is a file whose bytes also carry
HTML (a polyglot) or whose name claims another type.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

# --- What is accepted ------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    content_type: str  # what we store and serve
    label: str
    extensions: frozenset[str]
    canonical_extension: str
    image: bool = False


def _t(content_type, label, extensions, image=False):
    exts = frozenset(extensions.split())
    return FileType(content_type, label, exts, extensions.split()[0], image)


_VIDEO_EXTENSIONS = "mp4 m4v mov qt"
# libmagic's answer → the type we accept.
ACCEPTED: dict[str, FileType] = {
    "image/jpeg": _t("image/jpeg", "JPEG", "jpg jpeg jpe jfif", image=True),
    "image/png": _t("image/png", "PNG", "png", image=True),
    "image/webp": _t("image/webp", "WebP", "webp", image=True),
    "image/gif": _t("image/gif", "GIF", "gif", image=True),
    "image/heic": _t("image/heic", "HEIC", "heic heif hif", image=True),
    "image/heif": _t("image/heif", "HEIF", "heif heic hif", image=True),
    "application/pdf": _t("application/pdf", "PDF", "pdf"),
    "video/mp4": _t("video/mp4", "MP4", _VIDEO_EXTENSIONS),
    "video/quicktime": _t("video/quicktime", "MOV", "mov qt mp4 m4v"),
    "audio/mpeg": _t("audio/mpeg", "MP3", "mp3"),
    "audio/x-m4a": _t("audio/mp4", "M4A", "m4a mp4 aac"),
    "audio/mp4": _t("audio/mp4", "M4A", "m4a mp4 aac"),
    "audio/amr": _t("audio/amr", "AMR", "amr"),
    "audio/x-wav": _t("audio/wav", "WAV", "wav"),
    "audio/wav": _t("audio/wav", "WAV", "wav"),
    "text/plain": _t("text/plain", "TXT", "txt text log csv"),
    "text/csv": _t("text/csv", "CSV", "csv txt"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _t(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
        "xlsx",
    ),
}
CSV = ACCEPTED["text/csv"]
ACCEPTED["application/csv"] = CSV
# libmagic guesses a programming language for some plain text (a chat log
# with braces may come out as text/x-c). Such text is still plain text, but
# markup and anything executable is not.
_REFUSED_TEXT_RE = re.compile(
    r"html|xml|svg|script|shell|python|perl|php|ruby|tcl|lua|awk|batch|java|"
    r"bytecode|postscript|troff|tex"
)

ALLOWED_TYPES_TEXT = (
    "JPEG, PNG, WebP, GIF, HEIC/HEIF, PDF, MP4/MOV, MP3, M4A, AMR, WAV, TXT, CSV, XLSX"
)
# For <input accept>: a hint to the phone's picker, never a check.
ACCEPT_ATTRIBUTE = (
    "image/*,video/mp4,video/quicktime,audio/*,application/pdf,text/plain,text/csv,"
    ".heic,.heif,.amr,.m4a,.csv,.xlsx,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

# Markup that must not hide inside any accepted file (polyglots): with these
# a browser that sniffs could run the file as a page.
_MARKUP_RE = re.compile(
    rb"<(?:script|html|body|iframe|svg|object|embed|!doctype\s{1,16}html)[\s>/]"
    rb"|javascript:"
    # Any tag carrying an event handler: <img src=x onerror=...>
    rb"|<[a-z][a-z0-9]{0,15}[\s/][^<>]{0,256}?\bon[a-z]{3,24}\s*=",
    re.IGNORECASE,
)
# Longest possible match, so a marker split across two chunks is still found.
_MARKUP_OVERLAP = 320
_PDF_ACTIVE_RE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia)\b")
_CHUNK = 1024 * 1024


class EvidenceRejected(ValidationError):
    """An upload was refused; the message says why, in the user's language."""


def _refuse(message, code, **params):
    raise EvidenceRejected(message, code=code, params=params or None)


def _not_allowed():
    _refuse(
        _(
            "This type of file cannot be accepted. Allowed: %(allowed)s. "
            "Web pages, SVG, scripts, programs and archives (zip, rar) are refused."
        ),
        "type_not_allowed",
        allowed=ALLOWED_TYPES_TEXT,
    )


# --- Upload handler: stream to disk and hash --------------------------------


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Streams each uploaded file to a temporary file, computing its SHA-256
    on the way. Bytes past EVIDENCE_MAX_FILE_BYTES are counted, not written,
    so an oversize upload costs neither memory nor disk; the file is marked
    `too_large` and refused by `inspect_upload`.
    """

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self._sha256 = hashlib.sha256()
        self._received = 0
        self._limit = settings.EVIDENCE_MAX_FILE_BYTES

    def receive_data_chunk(self, raw_data, start):
        self._received += len(raw_data)
        if self._received > self._limit:
            return None
        self._sha256.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        uploaded = super().file_complete(min(file_size, self._limit))
        uploaded.sha256 = self._sha256.hexdigest()
        uploaded.received_size = self._received
        uploaded.too_large = self._received > self._limit
        return uploaded


def sha256_of(fileobj) -> str:
    """SHA-256 of a file object, read in chunks from the start."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(_CHUNK), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


# --- Names -------------------------------------------------------------------

MAX_NAME_LENGTH = 150


def sanitize_name(name: str) -> str:
    """The original file name as safe metadata: no path, no control or
    format characters (NUL, bidi overrides), at most 150 characters with the
    extension kept. Refuses a name that is empty once cleaned."""
    name = unicodedata.normalize("NFC", name or "")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        _refuse(
            _(
                "The file name contains control characters; rename the file and try again."
            ),
            "bad_name",
        )
    name = name.replace("\\", "/").split("/")[-1].strip().strip(".")
    name = re.sub(r"\s+", " ", name)
    if not name:
        _refuse(_("The file has no usable name; rename it and try again."), "bad_name")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def _extension(name: str) -> str:
    suffix = PurePosixPath(name).suffix
    return suffix[1:].lower() if suffix else ""


def storage_name() -> str:
    """A random storage name with no user-supplied part and no extension."""
    token = uuid.uuid4().hex
    return f"{token[:2]}/{token}"


# --- Inspection --------------------------------------------------------------

_local = threading.local()


def _sniff(head: bytes) -> str:
    # A Magic instance is not thread-safe; keep one per thread.
    sniffer = getattr(_local, "magic", None)
    if sniffer is None:
        sniffer = _local.magic = magic.Magic(mime=True)
    return sniffer.from_buffer(head)


def _scan(fileobj, pattern: re.Pattern) -> bool:
    """Whether `pattern` occurs anywhere in the file (streamed, overlapping)."""
    fileobj.seek(0)
    tail = b""
    for chunk in iter(lambda: fileobj.read(_CHUNK), b""):
        if pattern.search(tail + chunk):
            fileobj.seek(0)
            return True
        tail = chunk[-_MARKUP_OVERLAP:]
    fileobj.seek(0)
    return False


def _check_image(fileobj, filetype: FileType) -> None:
    max_pixels = settings.EVIDENCE_MAX_IMAGE_PIXELS
    # A truncated image must fail to load. WeasyPrint (the letters) sets
    # Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported; the letters
    # module resets it, and this makes sure of it where it matters.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    fileobj.seek(0)
    try:
        with Image.open(fileobj) as image:
            width, height = image.size
            if width * height > max_pixels:
                _refuse(
                    _(
                        "The image is too large (%(pixels)s pixels); the limit is %(max)s."
                    ),
                    "too_many_pixels",
                    pixels=f"{width}×{height}",
                    max=f"{max_pixels:,}",
                )
            if image.format == "JPEG":
                # Decoding at 1/8 scale still reads the whole stream, so a
                # truncated photo is found without a full-size bitmap.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except EvidenceRejected:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses far larger images itself, before we see the size.
        _refuse(
            _("The image is too large (%(pixels)s pixels); the limit is %(max)s."),
            "too_many_pixels",
            pixels=f"> {2 * Image.MAX_IMAGE_PIXELS:,}",
            max=f"{max_pixels:,}",
        )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse(
            _(
                "The image could not be opened: it is damaged, incomplete or not really a %(type)s."
            ),
            "broken_image",
            type=filetype.label,
        )
    finally:
        fileobj.seek(0)


_PDF_ACTIVE_NAMES = frozenset(
    {"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia"}
)
_PDF_MAX_OBJECTS = 500_000


def _pdf_has_active_content(fileobj) -> bool:
    """Whether any object reachable from the document catalogue names
    JavaScript, a launch action, an embedded file or rich media.

    Parsing (pypdf) sees through name escapes (/J#61vaScript) and compressed
    object streams, which a byte search cannot. A PDF that cannot be parsed,
    or needs a password, raises EvidenceRejected.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    fileobj.seek(0)
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            _refuse(
                _(
                    "Password-protected PDFs cannot be accepted. Save an unprotected copy and upload that."
                ),
                "pdf_encrypted",
            )
        stack = [reader.trailer]
        seen: set[tuple[int, int]] = set()
        visited = 0
        while stack:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                key = (obj.idnum, obj.generation)
                if key in seen:
                    continue
                seen.add(key)
                obj = obj.get_object()
            visited += 1
            if visited > _PDF_MAX_OBJECTS:
                return True
            if isinstance(obj, DictionaryObject):
                for name, value in obj.items():
                    if name in _PDF_ACTIVE_NAMES:
                        return True
                    if name == "/S" and str(value) in _PDF_ACTIVE_NAMES:
                        return True
                    if name != "/Parent":
                        stack.append(value)
            elif isinstance(obj, ArrayObject):
                stack.extend(obj)
    except EvidenceRejected:
        raise
    except (
        PdfReadError,
        OSError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
    ):
        _refuse(_("The PDF could not be opened: it is damaged."), "broken_file")
    finally:
        fileobj.seek(0)
    return False


def _check_pdf(fileobj) -> None:
    fileobj.seek(0)
    if fileobj.read(5) != b"%PDF-":
        _not_allowed()
    if _scan(fileobj, _PDF_ACTIVE_RE) or _pdf_has_active_content(fileobj):
        _refuse(
            _(
                "This PDF contains scripts, embedded files or actions and cannot be accepted. Print it to a new PDF and upload that."
            ),
            "pdf_active_content",
        )


def _check_xlsx(fileobj) -> None:
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            total = sum(info.file_size for info in infos)
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse(_("The spreadsheet could not be opened: it is damaged."), "broken_file")
    finally:
        fileobj.seek(0)
    if (
        "xl/workbook.xml" not in names
        or len(infos) > 5000
        or total > 200 * 1024 * 1024
        or any(n.startswith("/") or ".." in n.split("/") for n in names)
    ):
        _not_allowed()
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        _refuse(
            _(
                "Spreadsheets with macros cannot be accepted. Save it as a plain .xlsx workbook."
            ),
            "xlsx_macros",
        )


_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def _check_text(fileobj) -> None:
    """Plain text or CSV: decodes as UTF-8 (or UTF-16 with a BOM, or GB18030
    as Chinese Windows exports it) and has no NUL bytes."""
    import codecs

    fileobj.seek(0)
    head = fileobj.read(4)
    fileobj.seek(0)
    encodings = (
        ("utf-16",)
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        else _TEXT_ENCODINGS
    )
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in iter(lambda: fileobj.read(_CHUNK), b""):
                text = decoder.decode(chunk)
                if "\x00" in text:
                    raise UnicodeDecodeError(encoding, b"", 0, 1, "NUL")
            decoder.decode(b"", final=True)
            fileobj.seek(0)
            return
        except UnicodeDecodeError:
            fileobj.seek(0)
    _refuse(
        _("The text file could not be read: save it as UTF-8 text and try again."),
        "broken_file",
    )


@dataclass(frozen=True)
class Inspection:
    content_type: str
    display_name: str
    size: int
    sha256: str


def inspect_upload(uploaded, *, max_bytes: int | None = None) -> Inspection:
    """Decide whether an uploaded file is acceptable evidence.

    `uploaded` is an UploadedFile (ideally from HashingUploadHandler, which
    has already hashed it). Raises EvidenceRejected with a message for the
    user; returns the sniffed content type, the sanitised name, the size and
    the SHA-256 otherwise. Reads the file; leaves it at position 0.
    """
    max_bytes = max_bytes or settings.EVIDENCE_MAX_FILE_BYTES
    name = sanitize_name(getattr(uploaded, "name", "") or "")
    size = getattr(uploaded, "received_size", None) or uploaded.size or 0
    if getattr(uploaded, "too_large", False) or size > max_bytes:
        _refuse(
            _("The file is too large (%(size)s MB); the limit is %(max)s MB per file."),
            "too_large",
            size=f"{size / 1048576:.1f}",
            max=f"{max_bytes / 1048576:.0f}",
        )
    if size == 0:
        _refuse(_("The file is empty."), "empty")
    fileobj = uploaded.file if hasattr(uploaded, "file") else uploaded
    fileobj.seek(0)
    head = fileobj.read(16384)
    fileobj.seek(0)
    sniffed = _sniff(head)
    filetype = ACCEPTED.get(sniffed)
    if (
        filetype is None
        and sniffed.startswith("text/")
        and not _REFUSED_TEXT_RE.search(sniffed)
    ):
        filetype = ACCEPTED["text/plain"]
    if filetype is None:
        _not_allowed()
    extension = _extension(name)
    if filetype.content_type == "text/plain" and extension == "csv":
        filetype = CSV
    if extension and extension not in filetype.extensions:
        _refuse(
            _(
                "The content of this file is %(type)s, which does not match its name (.%(ext)s). Rename or re-export the file and try again."
            ),
            "name_mismatch",
            type=filetype.label,
            ext=extension,
        )
    if _scan(fileobj, _MARKUP_RE):
        _refuse(
            _(
                "This file contains web page code (HTML or script) and cannot be accepted."
            ),
            "markup",
        )
    if filetype.image:
        _check_image(fileobj, filetype)
    elif filetype.content_type == "application/pdf":
        _check_pdf(fileobj)
    elif filetype.label == "XLSX":
        _check_xlsx(fileobj)
    elif filetype.content_type.startswith("text/"):
        _check_text(fileobj)
    sha256 = getattr(uploaded, "sha256", None) or sha256_of(fileobj)
    if not extension:
        name = f"{name}.{filetype.canonical_extension}"[:MAX_NAME_LENGTH]
    return Inspection(filetype.content_type, name, size, sha256)


# --- Thumbnails and downloads ---------------------------------------------

THUMBNAIL_SIZE = (480, 480)


def make_thumbnail(fileobj) -> ContentFile:
    """A small JPEG of an image, decoded from the stored bytes.

    Metadata (EXIF, GPS) is not carried over; the orientation is applied.
    """
    from PIL import ImageOps

    with Image.open(fileobj) as image:
        if image.format == "JPEG":
            image.draft("RGB", THUMBNAIL_SIZE)
        image = ImageOps.exif_transpose(image)
        image.thumbnail(THUMBNAIL_SIZE)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80, optimize=True)
    return ContentFile(out.getvalue())


def private_headers(response, *, sandbox: bool = True):
    """A stored file, not a page (security requirements 8 and 29): never
    sniffed, never cached and, by default, sandboxed with nothing allowed."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if sandbox:
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def download_response(evidence) -> FileResponse:
    """The stored bytes as an attachment with the stored content type.

    `Content-Disposition` uses RFC 6266 (`filename*=UTF-8''…`), so Chinese
    names survive.
    """
    handle = evidence.file.storage.open(evidence.file.name, "rb")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    return private_headers(response)


def thumbnail_response(fileobj) -> FileResponse:
    response = FileResponse(fileobj, content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    return private_headers(response)
