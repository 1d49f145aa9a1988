"""Read a folder of PNG files as grayscale images, with zlib and numpy only.

The backends may not depend on Qt's image reader, and Pillow is not a dependency;
PNG is simple enough to decode for the 8-bit, non-interlaced files that image data
sets use. Anything else is refused with a message naming the file.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from backends.runtime import EngineError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type → samples per pixel


def read_png(path: Path) -> np.ndarray:
    """One PNG as a float array in [0, 1], shape (height, width), colours averaged."""
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        raise EngineError(f"{path.name} is not a PNG file")
    pos, header, chunks = len(SIGNATURE), None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise EngineError(f"{path.name}: no PNG header")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise EngineError(f"{path.name}: only 8-bit, non-interlaced grey or RGB(A) PNGs are read")
    channels = CHANNELS[colour]
    try:
        raw = zlib.decompress(b"".join(chunks))
    except zlib.error as exc:
        raise EngineError(f"{path.name}: damaged image data ({exc})") from exc
    pixels = _unfilter(raw, width * channels, height, channels, path.name)
    pixels = pixels.reshape(height, width, channels).astype(np.float64) / 255.0
    colour_part = pixels[..., :3] if channels >= 3 else pixels[..., :1]
    return colour_part.mean(axis=2)


def _unfilter(raw: bytes, stride: int, height: int, bpp: int, name: str) -> np.ndarray:
    if len(raw) != height * (stride + 1):
        raise EngineError(f"{name}: image data has the wrong length")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        if kind in (0, 2):
            cur = line + (prev if kind == 2 else 0)
        else:  # sub, average and Paeth depend on the pixel to the left: go left to right
            cur = np.zeros(stride, dtype=np.int64)
            for x in range(stride):
                left = cur[x - bpp] if x >= bpp else 0
                upleft = prev[x - bpp] if x >= bpp else 0
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + prev[x]) // 2
                elif kind == 4:
                    pred = _paeth(left, prev[x], upleft)
                else:
                    raise EngineError(f"{name}: unknown PNG filter {kind}")
                cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur & 0xFF
        prev = out[y]
    return out.astype(np.uint8)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def read_folder(folder: str) -> np.ndarray:
    """Every PNG in a folder (sorted by name) as (n, height, width); sizes must agree."""
    root = Path(folder)
    if not root.is_dir():
        raise EngineError(f"image folder {folder!r} does not exist")
    files = sorted(p for p in root.iterdir() if p.suffix.lower() == ".png")
    if not files:
        raise EngineError(f"image folder {folder!r} holds no .png files")
    images = [read_png(p) for p in files]
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise EngineError(f"images in {folder!r} differ in size: {sorted(shapes)}")
    return np.stack(images)


def write_png(path: Path, image: np.ndarray) -> None:
    """Write a grayscale image in [0, 1] as an 8-bit PNG (for tests and examples)."""
    pixels = np.clip(np.rint(np.asarray(image) * 255), 0, 255).astype(np.uint8)
    height, width = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
