"""In-memory file storage with Telegram-like file ids, plus tiny sample media."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from dataclasses import dataclass
from typing import Any

_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_FOLDER = {"photo": "photos", "document": "documents", "voice": "voice", "sticker": "stickers"}
_EXT = {"photo": "jpg", "voice": "oga", "sticker": "webp"}
PHOTO_SIDES = (90, 320, 800, 1280)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    def file_object(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


class FileStore:
    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        self._counter += 1
        digest = hashlib.sha256(f"{kind}:{self._counter}:{len(data)}".encode()).digest()
        file_id = _PREFIX.get(kind, "BQACAgIAAxkBAAI") + _b64(digest[:36] + digest[:12])
        unique = "AQAD" + _b64(digest[20:32])
        ext = _EXT.get(kind) or (
            file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        )
        path = f"{_FOLDER.get(kind, 'documents')}/file_{self._counter}.{ext}"
        stored = StoredFile(file_id, unique, kind, data, path, file_name, mime_type, width, height)
        self.by_id[file_id] = stored
        self.by_path[path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.by_id.get(file_id)

    def clear(self) -> None:
        self.by_id.clear()
        self.by_path.clear()


def content_type(stored: StoredFile) -> str:
    """Images are served by what their bytes are; uploads often arrive as octet-stream."""
    data = stored.data
    for signature, kind in (
        (b"\x89PNG", "image/png"),
        (b"\xff\xd8", "image/jpeg"),
        (b"GIF8", "image/gif"),
    ):
        if data.startswith(signature):
            return kind
    if data[8:12] == b"WEBP":
        return "image/webp"
    return stored.mime_type or "application/octet-stream"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG or WebP image, read from its header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and data[12:16] == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def photo_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """The ladder of sizes Telegram keeps for a photo (longest side 90/320/800/1280)."""
    longest = max(width, height, 1)
    sizes: list[tuple[int, int]] = []
    for side in PHOTO_SIDES:
        if side >= longest:
            break
        scale = side / longest
        sizes.append((max(1, round(width * scale)), max(1, round(height * scale))))
    if longest > PHOTO_SIDES[-1]:
        scale = PHOTO_SIDES[-1] / longest
        sizes.append((round(width * scale), round(height * scale)))
    else:
        sizes.append((width, height))
    return sizes


def sample_png(
    width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (90, 160, 220)
) -> bytes:
    """A valid, solid-colour PNG, so sample photos have real dimensions."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    )


SAMPLE_VOICE = b"OggS\x00\x02" + b"\x00" * 58
