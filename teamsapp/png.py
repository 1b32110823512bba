"""PNG files both ways, with no imaging library: encode RGBA pixels, decode header and pixels."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR = ">IIBBBBB"  # width, height, bit depth, colour type, compression, filter, interlace
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel (8-bit only)
RGBA = 6


class PngError(ValueError):
    """Bytes that are not a PNG this module can read."""


@dataclass(frozen=True)
class PngImage:
    """A decoded PNG: its header fields and, for 8-bit non-palette images, RGBA pixels."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlaced: bool
    rgba: bytes | None

    def pixels(self) -> Iterator[tuple[int, int, int, int]]:
        """Every pixel as (r, g, b, a); PngError when the pixels were not decoded."""
        if self.rgba is None:
            raise PngError(
                f"colour type {self.colour_type}, bit depth {self.bit_depth}"
                f"{', interlaced' if self.interlaced else ''}: pixels not decoded"
            )
        data = self.rgba
        for i in range(0, len(data), 4):
            yield data[i], data[i + 1], data[i + 2], data[i + 3]


def _crc(tag: bytes, body: bytes) -> int:
    return zlib.crc32(tag + body) & 0xFFFFFFFF


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", _crc(tag, body))


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Each chunk's (tag, body) up to IEND, its length and CRC checked."""
    pos = len(SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length] or b"\0\0\0\0")
        if len(body) != length or _crc(tag, body) != crc:
            raise PngError(f"chunk {tag!r} is truncated or corrupt")
        pos += 12 + length
        yield tag, body
        if tag == b"IEND":
            return


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """Encode 8-bit RGBA pixels, row by row, as a PNG file."""
    if len(rgba) != width * height * 4:
        raise ValueError(f"expected {width * height * 4} bytes of RGBA, got {len(rgba)}")
    stride = width * 4
    # Filter type 0 on every row: simple, and deterministic for the same zlib.
    raw = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(_IHDR, width, height, 8, RGBA, 0, 0, 0)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def decode_png(data: bytes) -> PngImage:
    """Read a PNG's header and, for 8-bit non-palette non-interlaced images, its pixels."""
    if not data.startswith(SIGNATURE):
        raise PngError("not a PNG file")
    header: tuple[int, ...] | None = None
    idat = bytearray()
    for tag, body in _chunks(data):
        if tag == b"IHDR":
            if len(body) != struct.calcsize(_IHDR):
                raise PngError("bad IHDR chunk")
            header = struct.unpack(_IHDR, body)
        elif tag == b"IDAT":
            idat += body
    if header is None:
        raise PngError("no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if width == 0 or height == 0:
        raise PngError("zero width or height")
    rgba = None
    if depth == 8 and colour in _CHANNELS and interlace == 0:
        rgba = _to_rgba(_unfilter(idat, width, height, _CHANNELS[colour]), colour)
    return PngImage(width, height, depth, colour, interlace == 1, rgba)


def _unfilter(idat: bytes | bytearray, width: int, height: int, bpp: int) -> bytes:
    try:
        raw = zlib.decompress(bytes(idat))
    except zlib.error as exc:
        raise PngError(f"image data does not decompress ({exc})") from None
    stride = width * bpp
    if len(raw) < height * (stride + 1):
        raise PngError("image data is shorter than the image")
    out = bytearray()
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = previous[x]
            corner = previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[x] = (line[x] + _paeth(left, up, corner)) & 0xFF
            elif kind != 0:
                raise PngError(f"unknown filter type {kind} on row {y}")
        out += line
        previous = line
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _to_rgba(samples: bytes, colour: int) -> bytes:
    if colour == RGBA:
        return samples
    out = bytearray()
    if colour == 2:
        for i in range(0, len(samples), 3):
            out += samples[i : i + 3] + b"\xff"
    elif colour == 4:
        for i in range(0, len(samples), 2):
            grey, alpha = samples[i], samples[i + 1]
            out += bytes((grey, grey, grey, alpha))
    else:
        for grey in samples:
            out += bytes((grey, grey, grey, 255))
    return bytes(out)
