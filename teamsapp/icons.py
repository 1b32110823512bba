"""The Teams app icons: drawn in plain Python, and checked against what Teams accepts.

`python -m teamsapp.icons [DIR]` rewrites both PNGs (into deploy/appPackage by default).

`color.png` is 192×192: a white shield on the accent colour, holding a child (head and
shoulders) in the accent colour with a coral heart on its chest. `outline.png` is 32×32: the
same shield as a white outline with the child inside, on a transparent background.
No imaging library: a scanline rasteriser (even-odd fill, 8 sub-rows a pixel and exact
horizontal coverage), and `teamsapp.png` to encode and decode.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

from teamsapp import APP_PACKAGE_DIR
from teamsapp.png import RGBA, PngError, PngImage, decode_png, encode_png

Point = tuple[float, float]
Contour = list[Point]
Mask = list[float]
RGB = tuple[int, int, int]

# The manifest's accentColor is this colour: Teams shows the icon on it in places.
ACCENT: RGB = (0x1E, 0x6A, 0x78)
CORAL: RGB = (0xF0, 0x6E, 0x5B)
WHITE: RGB = (0xFF, 0xFF, 0xFF)
SUBROWS = 8
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
COLOR_SIZE = 192
OUTLINE_SIZE = 32


def coverage(contours: Sequence[Contour], width: int, height: int) -> Mask:
    """How much of each pixel the contours cover (even-odd rule), 0.0 to 1.0."""
    mask = [0.0] * (width * height)
    edges = [(c[i], c[(i + 1) % len(c)]) for c in contours for i in range(len(c)) if len(c) >= 3]
    weight = 1.0 / SUBROWS
    for sub in range(height * SUBROWS):
        y = (sub + 0.5) / SUBROWS
        crossings: list[float] = []
        for (x0, y0), (x1, y1) in edges:
            # Half-open in y so a vertex shared by two edges is counted once.
            if (y0 <= y < y1) or (y1 <= y < y0):
                crossings.append(x0 + (y - y0) * (x1 - x0) / (y1 - y0))
        crossings.sort()
        row = (sub // SUBROWS) * width
        for left, right in zip(crossings[::2], crossings[1::2], strict=False):
            left, right = max(left, 0.0), min(right, float(width))
            if right <= left:
                continue
            for px in range(int(left), min(math.ceil(right), width)):
                overlap = min(right, px + 1.0) - max(left, float(px))
                if overlap > 0:
                    mask[row + px] += overlap * weight
    return [min(v, 1.0) for v in mask]


def multiply(a: Mask, b: Mask) -> Mask:
    """Intersect two coverage masks (good enough for anti-aliased edges)."""
    return [x * y for x, y in zip(a, b, strict=True)]


def union(a: Mask, b: Mask) -> Mask:
    """Combine two coverage masks."""
    return [x + y - x * y for x, y in zip(a, b, strict=True)]


class Canvas:
    """Premultiplied RGBA floats; paint a colour through a coverage mask, then encode."""

    def __init__(self, width: int, height: int, background: RGB | None = None) -> None:
        self.width = width
        self.height = height
        size = width * height
        alpha = 0.0 if background is None else 1.0
        r, g, b = background or (0, 0, 0)
        self.r, self.g, self.b = [r * alpha] * size, [g * alpha] * size, [b * alpha] * size
        self.a = [alpha] * size

    def paint(self, colour: RGB, mask: Mask) -> None:
        """Composite a solid colour over the canvas wherever the mask covers it."""
        cr, cg, cb = colour
        for i, c in enumerate(mask):
            if c <= 0.0:
                continue
            keep = 1.0 - c
            self.r[i] = cr * c + self.r[i] * keep
            self.g[i] = cg * c + self.g[i] * keep
            self.b[i] = cb * c + self.b[i] * keep
            self.a[i] = c + self.a[i] * keep

    def to_png(self) -> bytes:
        """The canvas as an RGBA PNG; fully transparent pixels are stored as transparent white."""
        out = bytearray()
        for r, g, b, a in zip(self.r, self.g, self.b, self.a, strict=True):
            alpha = round(a * 255)
            if alpha == 0:
                out += bytes((255, 255, 255, 0))
                continue
            out += bytes(
                (_channel(r / a), _channel(g / a), _channel(b / a), alpha),
            )
        return encode_png(self.width, self.height, bytes(out))


def _channel(value: float) -> int:
    return max(0, min(255, round(value)))


def quadratic(p0: Point, p1: Point, p2: Point, steps: int) -> Contour:
    """Points along a quadratic Bézier curve, excluding its start."""
    points: Contour = []
    for i in range(1, steps + 1):
        t = i / steps
        u = 1.0 - t
        points.append(
            (
                u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
                u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1],
            )
        )
    return points


def ellipse(cx: float, cy: float, rx: float, ry: float, steps: int = 96) -> Contour:
    """A closed ellipse."""
    return [
        (cx + rx * math.cos(2 * math.pi * i / steps), cy + ry * math.sin(2 * math.pi * i / steps))
        for i in range(steps)
    ]


def shield(cx: float, top: float, half_width: float, shoulder: float, bottom: float) -> Contour:
    """A heater shield: a gently domed top, straight sides to `shoulder`, curving to a point."""
    dome = half_width * 0.22
    left, right = cx - half_width, cx + half_width
    points: Contour = [(left, top)]
    points += quadratic((left, top), (cx, top - 2 * dome), (right, top), 32)
    points.append((right, shoulder))
    # The control points sit on the sides, a third of the way up: a full, rounded point.
    bend = bottom - (bottom - shoulder) * 0.35
    points += quadratic((right, shoulder), (right, bend), (cx, bottom), 32)
    points += quadratic((cx, bottom), (left, bend), (left, shoulder), 32)
    return points


def heart(cx: float, cy: float, size: float, steps: int = 120) -> Contour:
    """The classic parametric heart, `size` pixels wide, centred on (cx, cy)."""
    scale = size / 32.0
    points: Contour = []
    for i in range(steps):
        t = 2 * math.pi * i / steps
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append((cx + x * scale, cy - (y + 2.5) * scale))
    return points


def child(cx: float, head_y: float, head_r: float, body_top: float, width: float) -> list[Contour]:
    """Head and shoulders: a circle above a tall rounded body (clip it to keep it inside)."""
    body = ellipse(cx, body_top + width * 0.55, width / 2, width * 0.55)
    return [ellipse(cx, head_y, head_r, head_r), body]


def draw_color(size: int = COLOR_SIZE) -> bytes:
    """The full-colour icon: white shield, accent child, coral heart, on the accent colour."""
    s = size / 192.0
    canvas = Canvas(size, size, background=ACCENT)
    outer = shield(96 * s, 46 * s, 54 * s, 104 * s, 162 * s)
    canvas.paint(WHITE, coverage([outer], size, size))
    # The child is clipped to an inset shield so a white rim always frames it.
    inner = coverage([shield(96 * s, 56 * s, 44 * s, 104 * s, 149 * s)], size, size)
    head, body = child(96 * s, 80 * s, 14 * s, 100 * s, 64 * s)
    figure = union(coverage([head], size, size), coverage([body], size, size))
    canvas.paint(ACCENT, multiply(figure, inner))
    canvas.paint(CORAL, coverage([heart(96 * s, 122 * s, 26 * s)], size, size))
    return canvas.to_png()


def draw_outline(size: int = OUTLINE_SIZE) -> bytes:
    """The outline icon: white shield outline and child on transparent, as Teams requires."""
    s = size / 32.0
    canvas = Canvas(size, size)
    stroke = 2.2
    outer = shield(16 * s, 4.6 * s, 12.2 * s, 17 * s, 30.6 * s)
    # The point is sharper than the sides, so it is inset further to keep the rim even.
    inner = shield(
        16 * s, (4.6 + stroke) * s, (12.2 - stroke) * s, 17 * s, (30.6 - 1.9 * stroke) * s
    )
    canvas.paint(WHITE, coverage([outer, inner], size, size))
    # A gap between the rim and the child keeps the two apart at this size.
    gap = 1.1
    room = coverage(
        [
            shield(
                16 * s,
                (4.6 + stroke + gap) * s,
                (12.2 - stroke - gap) * s,
                17 * s,
                (30.6 - 1.9 * (stroke + gap)) * s,
            )
        ],
        size,
        size,
    )
    head, body = child(16 * s, 11.4 * s, 3.0 * s, 15.8 * s, 14 * s)
    figure = union(coverage([head], size, size), coverage([body], size, size))
    canvas.paint(WHITE, multiply(figure, room))
    return canvas.to_png()


def check_icons(color: bytes, outline: bytes) -> list[str]:
    """Problems with the two icons Teams needs, one line each; empty when both are fine."""
    problems: list[str] = []
    for name, data, size in (
        (COLOR_ICON, color, COLOR_SIZE),
        (OUTLINE_ICON, outline, OUTLINE_SIZE),
    ):
        try:
            image = decode_png(data)
        except PngError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if (image.width, image.height) != (size, size):
            problems.append(f"{name}: {image.width}×{image.height}, must be {size}×{size}")
        if name == OUTLINE_ICON:
            problems.extend(f"{name}: {p}" for p in _outline_problems(image))
    return problems


def _outline_problems(image: PngImage) -> list[str]:
    if image.colour_type not in (4, RGBA) or image.rgba is None:
        return [
            "must be an 8-bit PNG with an alpha channel (RGBA), not interlaced, so that it can"
            f" be checked white on transparent (colour type {image.colour_type},"
            f" bit depth {image.bit_depth})"
        ]
    coloured = opaque = 0
    for r, g, b, a in image.pixels():
        if a == 0:
            continue
        opaque += 1
        if (r, g, b) != WHITE:
            coloured += 1
    if coloured:
        return [f"{coloured} pixel(s) neither white nor fully transparent; Teams needs white only"]
    if not opaque:
        return ["fully transparent: nothing would show"]
    if opaque == image.width * image.height and image.colour_type == RGBA:
        return ["no transparent pixels: the background must be transparent"]
    return []


def main(argv: Sequence[str] = ()) -> int:
    """Write color.png and outline.png into deploy/appPackage (or the directory given)."""
    target = Path(argv[0]) if argv else APP_PACKAGE_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name, data in ((COLOR_ICON, draw_color()), (OUTLINE_ICON, draw_outline())):
        (target / name).write_bytes(data)
        sys.stdout.write(f"wrote {target / name} ({len(data)} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
