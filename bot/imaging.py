"""Photos made safe to keep and to publish: checked before decoding, turned upright, stripped of
EXIF (phones put the GPS position there) and written in three sizes."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "FULL",
    "MAX_BYTES",
    "MAX_PIXELS",
    "THUMB",
    "WEB",
    "Processed",
    "Refused",
    "process_photo",
]

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 64_000_000
# Only these decoders are ever tried: a file claiming to be anything else is refused unread.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")

FULL, WEB, THUMB = "full.jpg", "web.jpg", "thumb.webp"
# The longest side of each copy, and how it is written.
SIZES = {FULL: 2560, WEB: 1280, THUMB: 240}


class Refused(Exception):
    """The file is not a photo the archive takes; `reason` is a catalogue key suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Processed:
    """The copies to store, by file name, and the upright size of the largest."""

    files: dict[str, bytes]
    width: int
    height: int


def _open(data: bytes) -> Image.Image:
    """Read the header only, refuse what is not a photo or is too large, then decode."""
    if len(data) > MAX_BYTES:
        raise Refused("too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise Refused("too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Refused("not_image") from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise Refused("not_image")
    if width * height > MAX_PIXELS:
        raise Refused("too_many_pixels")
    return image


def _upright(image: Image.Image) -> Image.Image:
    """The first frame, decoded no larger than needed, turned as the camera said, in RGB."""
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", (SIZES[FULL], SIZES[FULL]))
    try:
        turned = ImageOps.exif_transpose(image)
        turned.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Refused("not_image") from exc
    if turned.mode in ("RGBA", "LA", "P", "PA"):
        rgba = turned.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return turned.convert("RGB")


def _copy(image: Image.Image, name: str) -> bytes:
    """One size of the photo, written with no metadata at all."""
    copy = image.copy()
    copy.thumbnail((SIZES[name], SIZES[name]), Image.Resampling.LANCZOS)
    copy.info.clear()
    out = io.BytesIO()
    if name.endswith(".webp"):
        copy.save(out, "WEBP", quality=50, method=6, exif=b"", xmp=b"")
    else:
        copy.save(out, "JPEG", quality=82, optimize=True, progressive=True, exif=b"")
    return out.getvalue()


def process_photo(data: bytes) -> Processed:
    """The archive's copies of a downloaded photo; raises Refused for anything else."""
    with _open(data) as image:
        upright = _upright(image)
    files = {name: _copy(upright, name) for name in SIZES}
    with Image.open(io.BytesIO(files[FULL])) as full:
        width, height = full.size
    return Processed(files, width, height)
