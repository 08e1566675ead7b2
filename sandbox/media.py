"""Turning an InputFile (upload, file_id or URL) into Telegram media objects."""

from __future__ import annotations

import copy
import logging
from typing import Any

import aiohttp

from sandbox.errors import bad_request
from sandbox.files import FileStore, StoredFile, image_size, photo_sizes
from sandbox.params import Upload

log = logging.getLogger(__name__)

MEDIA_KINDS = ("photo", "document", "voice", "sticker")
_MIME = {"voice": "audio/ogg", "sticker": "image/webp"}


class MediaLibrary:
    """Remembers the media object behind every file_id so a file_id can be re-sent."""

    def __init__(self, files: FileStore) -> None:
        self.files = files
        self.objects: dict[str, tuple[str, Any]] = {}

    def clear(self) -> None:
        self.objects.clear()

    async def resolve(
        self,
        kind: str,
        ref: Upload | str,
        http: aiohttp.ClientSession | None,
        fetch_limit_s: float,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        if isinstance(ref, str) and ref.startswith(("http://", "https://")):
            data = await _download(ref, http, fetch_limit_s)
            name = ref.rsplit("/", 1)[-1] or "file"
            return self.store(kind, data, name, None, extra)
        if isinstance(ref, str):
            known = self.objects.get(ref)
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if known[0] != kind:
                raise bad_request("type of file mismatch")
            return copy.deepcopy(known[1])
        return self.store(kind, ref.data, ref.filename, ref.content_type, extra)

    def store(
        self,
        kind: str,
        data: bytes,
        name: str | None,
        mime: str | None,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        if not data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            return self._photo(data)
        size = image_size(data) if kind == "sticker" else None
        stored = self.files.add(kind, data, file_name=name, mime_type=mime)
        obj: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if kind == "document":
            obj["file_name"] = name or "file"
            obj["mime_type"] = mime or "application/octet-stream"
        elif kind == "voice":
            obj["duration"] = int((extra or {}).get("duration") or 1)
            obj["mime_type"] = _MIME["voice"]
        elif kind == "sticker":
            width, height = size or (512, 512)
            obj.update(
                type="regular", width=width, height=height, is_animated=False, is_video=False
            )
            if (extra or {}).get("emoji"):
                obj["emoji"] = extra["emoji"] if extra else None
        obj["file_size"] = len(data)
        self.objects[stored.file_id] = (kind, obj)
        return copy.deepcopy(obj)

    def _photo(self, data: bytes) -> list[dict[str, Any]]:
        size = image_size(data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        sizes: list[dict[str, Any]] = []
        stored_all: list[StoredFile] = []
        for width, height in photo_sizes(*size):
            stored = self.files.add("photo", data, width=width, height=height)
            stored_all.append(stored)
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(data),
                    "width": width,
                    "height": height,
                }
            )
        for stored in stored_all:
            self.objects[stored.file_id] = ("photo", sizes)
        return copy.deepcopy(sizes)


async def _download(url: str, http: aiohttp.ClientSession | None, limit_s: float) -> bytes:
    if http is None:
        raise bad_request("failed to get HTTP URL content")
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=limit_s)) as resp:
            if resp.status != 200:
                raise bad_request("failed to get HTTP URL content")
            return await resp.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.info("sandbox could not fetch %s: %s", url, exc)
        raise bad_request("failed to get HTTP URL content") from exc
