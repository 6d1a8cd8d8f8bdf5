"""Drawing primitives for the demo product pictures (:mod:`recdistill.data.demo.images`).

A :class:`Canvas` draws in unit coordinates (0..1 across the picture, y down)
onto an RGBA layer at a supersampled resolution; :meth:`Canvas.at` gives a
canvas for a sub-square (one object of a pack). Fills with alpha below 255
(glass, clear plastic) go to a second layer that :meth:`Canvas.flush` lays over
what is drawn so far, since Pillow does not blend onto an RGBA image.

A :class:`Look` is what an item's attributes say about its picture: colours,
how many objects, where its variant sits on each axis (storage, size...), and
its brand's mark.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
Colour = tuple[int, ...]  # RGB or RGBA
Point = tuple[float, float]

#: one leaf's drawing: draws the item described by the look onto the canvas
Draw = Callable[["Canvas", "Look"], None]

AUTO = "auto"  # outline: a darker shade of the fill
EDGE = 0.007  # default outline width, in units of the (sub-)canvas

WHITE: RGB = (250, 250, 248)
INK: RGB = (34, 36, 40)
SCREEN: RGB = (26, 30, 40)
METAL: RGB = (186, 190, 196)
PAPER: RGB = (248, 247, 242)
GLASS: Colour = (200, 224, 236, 120)
ACCENTS: tuple[RGB, ...] = (
    (228, 58, 48), (248, 170, 30), (38, 132, 220), (52, 170, 88),
    (142, 78, 196), (250, 250, 250), (30, 30, 32), (0, 160, 160),
)


def shade(c: Colour, f: float) -> Colour:
    """``c`` darkened (``f < 1``: times ``f``) or lightened (``f > 1``: toward white).

    An alpha channel, if any, is kept.
    """
    if f <= 1:
        rgb = tuple(int(v * f) for v in c[:3])
    else:
        rgb = tuple(int(v + (255 - v) * min(f - 1, 1.0)) for v in c[:3])
    return rgb + tuple(c[3:])


def rgb(c: Colour) -> RGB:
    return (c[0], c[1], c[2])


def mix(a: Colour, b: Colour, t: float) -> RGB:
    """``(1 - t) * a + t * b`` (RGB)."""
    return (int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t),
            int(a[2] + (b[2] - a[2]) * t))


def luma(c: Colour) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


@dataclass
class _Layers:
    base: Image.Image
    draw: ImageDraw.ImageDraw
    glass: Image.Image | None = None
    glass_draw: ImageDraw.ImageDraw | None = None

    def pen(self, fill: Colour) -> ImageDraw.ImageDraw:
        if len(fill) < 4 or fill[3] == 255:
            return self.draw
        if self.glass_draw is None:
            self.glass = Image.new("RGBA", self.base.size, (0, 0, 0, 0))
            self.glass_draw = ImageDraw.Draw(self.glass)
        return self.glass_draw


class Canvas:
    """Unit-square drawing on a supersampled RGBA layer (see the module docstring)."""

    def __init__(self, layers: _Layers, px: float, x0: float = 0.0, y0: float = 0.0,
                 s: float = 1.0) -> None:
        self.layers, self.px, self.x0, self.y0, self.s = layers, px, x0, y0, s

    @classmethod
    def new(cls, size_px: int, background: RGB) -> Canvas:
        """A blank canvas (transparent pixels of the ``background`` colour)."""
        base = Image.new("RGBA", (size_px, size_px), (*background, 0))
        return cls(_Layers(base, ImageDraw.Draw(base)), float(size_px))

    def at(self, x: float, y: float, s: float) -> Canvas:
        """A canvas whose unit square is the square ``(x, y)`` to ``(x + s, y + s)`` of this one."""
        return Canvas(self.layers, self.px, self.x0 + x * self.s, self.y0 + y * self.s,
                      self.s * s)

    def image(self) -> Image.Image:
        """The drawn RGBA layer (glass laid over)."""
        self.flush()
        return self.layers.base

    def flush(self) -> None:
        """Lay the translucent layer over what is drawn so far (later drawing goes on top)."""
        lay = self.layers
        if lay.glass is not None:
            lay.base.alpha_composite(lay.glass)
            lay.glass, lay.glass_draw = None, None

    # -- coordinates
    def _xy(self, x: float, y: float) -> Point:
        return ((self.x0 + x * self.s) * self.px, (self.y0 + y * self.s) * self.px)

    def _box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        a = self._xy(min(x0, x1), min(y0, y1))
        b = self._xy(max(x0, x1), max(y0, y1))
        return (a[0], a[1], b[0], b[1])

    def _w(self, w: float) -> int:
        return max(1, round(w * self.s * self.px))

    @staticmethod
    def _edge(fill: Colour, edge: Colour | str | None) -> Colour | None:
        if edge == AUTO:
            return shade(fill, 0.68)
        return edge if not isinstance(edge, str) else None

    # -- primitives
    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: Colour, r: float = 0.0,
             edge: Colour | str | None = AUTO, w: float = EDGE) -> None:
        """A (rounded, radius ``r``) rectangle."""
        e = self._edge(fill, edge)
        box = self._box(x0, y0, x1, y1)
        rad = min(r * self.s * self.px, (box[2] - box[0]) / 2, (box[3] - box[1]) / 2)
        pen = self.layers.pen(fill)
        width = self._w(w) if e is not None else 0
        if rad >= 1:
            pen.rounded_rectangle(box, radius=rad, fill=fill, outline=e, width=width)
        else:
            pen.rectangle(box, fill=fill, outline=e, width=width)

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: Colour | None,
                edge: Colour | str | None = AUTO, w: float = EDGE) -> None:
        e = self._edge(fill, edge) if fill is not None else self._edge(INK, edge)
        pen = self.layers.pen(fill if fill is not None else (e or INK))
        pen.ellipse(self._box(x0, y0, x1, y1), fill=fill, outline=e,
                    width=self._w(w) if e is not None else 0)

    def circle(self, cx: float, cy: float, r: float, fill: Colour | None,
               edge: Colour | str | None = AUTO, w: float = EDGE) -> None:
        self.ellipse(cx - r, cy - r, cx + r, cy + r, fill, edge, w)

    def ring(self, cx: float, cy: float, r: float, colour: Colour, w: float) -> None:
        """A circle outline ``w`` thick."""
        self.layers.pen(colour).ellipse(self._box(cx - r, cy - r, cx + r, cy + r), outline=colour,
                                        width=self._w(w))

    def poly(self, pts: Sequence[Point], fill: Colour, edge: Colour | str | None = AUTO,
             w: float = EDGE) -> None:
        e = self._edge(fill, edge)
        self.layers.pen(fill).polygon([self._xy(x, y) for x, y in pts], fill=fill, outline=e,
                                      width=self._w(w) if e is not None else 0)

    def line(self, pts: Sequence[Point], colour: Colour, w: float = EDGE) -> None:
        self.layers.pen(colour).line([self._xy(x, y) for x, y in pts], fill=colour,
                                     width=self._w(w), joint="curve")

    def arc(self, x0: float, y0: float, x1: float, y1: float, start: float, end: float,
            colour: Colour, w: float) -> None:
        """An arc of the box's ellipse, ``start`` to ``end`` degrees clockwise from 3 o'clock."""
        self.layers.pen(colour).arc(self._box(x0, y0, x1, y1), start, end, fill=colour,
                                    width=self._w(w))

    def pie(self, x0: float, y0: float, x1: float, y1: float, start: float, end: float,
            fill: Colour, edge: Colour | str | None = AUTO) -> None:
        e = self._edge(fill, edge)
        self.layers.pen(fill).pieslice(self._box(x0, y0, x1, y1), start, end, fill=fill,
                                       outline=e, width=self._w(EDGE) if e is not None else 0)


@dataclass(frozen=True)
class Look:
    """What one item's attributes say about its picture.

    Attributes:
        colours: the main colour first (from the colour attribute, else the
            leaf's default palette), then any others (two-tone, assorted).
        clear: the colour is "Clear": draw the body translucent.
        count: objects in the pack (the ``pack`` attribute's number; 1 if none).
        form: the item's product type within its leaf (index of its title format).
        index: per attribute, the position of its value on the leaf's axis (-1: not on it).
        span: per attribute, the number of values on that axis.
        attrs: the attribute values themselves.
        mark: the brand's logo glyph (0..7); accent: its colour; stripes: its stripe
            pattern (0..3). All three come from a hash of the brand name.
    """

    colours: tuple[RGB, ...]
    clear: bool = False
    count: int = 1
    form: int = 0
    index: Mapping[str, int] = field(default_factory=dict)
    span: Mapping[str, int] = field(default_factory=dict)
    attrs: Mapping[str, str] = field(default_factory=dict)
    mark: int = 0
    accent: RGB = ACCENTS[0]
    stripes: int = 0

    @property
    def main(self) -> RGB:
        return self.colours[0]

    @property
    def fill(self) -> Colour:
        """The body fill: the main colour, translucent if the item is clear."""
        return (*self.main, 110) if self.clear else self.main

    @property
    def second(self) -> RGB:
        """The second colour (two-tone items), else a darker shade of the main one."""
        return self.colours[1] if len(self.colours) > 1 else rgb(shade(self.main, 0.7))

    def rank(self, key: str, default: float = 0.5) -> float:
        """Where the ``key`` value sits on its axis, 0 (first) to 1 (last); else ``default``."""
        i, n = self.index.get(key, -1), self.span.get(key, 0)
        if i < 0:
            return default
        return i / (n - 1) if n > 1 else 0.5

    def size(self, key: str, lo: float = 0.8, hi: float = 1.0) -> float:
        """A scale from ``lo`` (first value of the axis) to ``hi`` (last)."""
        return lo + (hi - lo) * self.rank(key)

    def pick(self, key: str, palette: Sequence[RGB]) -> RGB:
        """A colour of ``palette`` chosen by the ``key`` value's position on its axis."""
        return palette[max(self.index.get(key, 0), 0) % len(palette)]

    def num(self, key: str, default: int = 1) -> int:
        """The first whole number in the ``key`` value ("12-Pack" -> 12); ``default`` if none."""
        m = re.search(r"\d[\d,]*", self.attrs.get(key, ""))
        return int(m.group().replace(",", "")) if m else default


def tiles(n: int, x0: float = 0.06, y0: float = 0.08, x1: float = 0.94,
          y1: float = 0.9, overlap: float = 0.18) -> list[tuple[float, float, float]]:
    """``n`` squares ``(x, y, side)`` in rows over the box, back row first (draw in order)."""
    if n <= 1:
        s = min(x1 - x0, y1 - y0)
        return [(x0 + (x1 - x0 - s) / 2, y0 + (y1 - y0 - s) / 2, s)]
    cols = {2: 2, 3: 3, 4: 2}.get(n, 3 if n <= 9 else 4 if n <= 16 else 6)
    rows = math.ceil(n / cols)
    step = 1 - overlap
    s = min((x1 - x0) / (1 + step * (cols - 1)), (y1 - y0) / (1 + step * (rows - 1)))
    out: list[tuple[float, float, float]] = []
    for r in range(rows):
        k = min(cols, n - r * cols)
        width = s + step * s * (k - 1)
        top = y0 + (y1 - y0 - (s + step * s * (rows - 1))) / 2 + r * step * s
        left = x0 + (x1 - x0 - width) / 2
        out.extend((left + j * step * s, top, s) for j in range(k))
    return out


def each(c: Canvas, n: int, one: Callable[[Canvas], None], **kw: float) -> None:
    """Draw ``one`` into each of ``n`` tiles (see :func:`tiles`)."""
    for x, y, s in tiles(n, **kw):
        one(c.at(x, y, s))


def mark(c: Canvas, cx: float, cy: float, r: float, look: Look,
         colour: Colour | None = None) -> None:
    """The brand's logo glyph, radius ``r`` around ``(cx, cy)``."""
    col = colour if colour is not None else look.accent
    k = look.mark
    if k == 0:
        c.circle(cx, cy, r, col, edge=None)
    elif k == 1:
        c.ring(cx, cy, r * 0.85, col, r * 0.35)
    elif k == 2:
        c.poly([(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)], col, edge=None)
    elif k == 3:
        c.rect(cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85, col, edge=None)
    elif k == 4:
        c.poly([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], col, edge=None)
    elif k == 5:
        c.rect(cx - r, cy - r * 0.8, cx - r * 0.2, cy + r * 0.8, col, edge=None)
        c.rect(cx + r * 0.2, cy - r * 0.8, cx + r, cy + r * 0.8, col, edge=None)
    elif k == 6:
        c.line([(cx - r, cy - r * 0.5), (cx, cy + r * 0.5), (cx + r, cy - r * 0.5)], col, r * 0.4)
    else:
        pts = [(cx + (r if j % 2 == 0 else r * 0.45) * math.sin(j * math.pi / 5),
                cy - (r if j % 2 == 0 else r * 0.45) * math.cos(j * math.pi / 5))
               for j in range(10)]
        c.poly(pts, col, edge=None)


def stripes(c: Canvas, x0: float, y0: float, x1: float, y1: float, look: Look,
            colour: Colour | None = None) -> None:
    """The brand's stripe pattern across the box (one band, two, three thin, or a swoosh)."""
    col = colour if colour is not None else look.accent
    h = y1 - y0
    k = look.stripes
    if k == 3:
        c.arc(x0, y0 - h * 0.6, x1, y1, 30, 150, col, h * 0.18)
        return
    bands = (1, 2, 3)[k]
    thick = h * (0.22, 0.14, 0.08)[k]
    for j in range(bands):
        t = (j + 1) / (bands + 1)
        c.line([(x0, y0 + h * t + h * 0.2), (x1, y0 + h * t - h * 0.2)], col, thick)


def label(c: Canvas, x0: float, y0: float, x1: float, y1: float, look: Look,
          fill: Colour = WHITE, lines: int = 2) -> None:
    """A product label: the brand mark over a few text lines."""
    c.rect(x0, y0, x1, y1, fill, r=(x1 - x0) * 0.08, w=EDGE * 0.7)
    w, h = x1 - x0, y1 - y0
    r = min(w, h) * 0.2
    mark(c, x0 + w / 2, y0 + h * 0.32, r, look)
    ink = shade(fill, 0.45) if luma(fill) > 90 else shade(fill, 1.6)
    for j in range(lines):
        y = y0 + h * (0.62 + 0.16 * j)
        c.line([(x0 + w * 0.2, y), (x1 - w * (0.2 + 0.15 * j), y)], ink, h * 0.06)


def cylinder(c: Canvas, x0: float, y0: float, x1: float, y1: float, fill: Colour,
             top: Colour | None = None, e: float = 0.25) -> None:
    """An upright cylinder in the box (ellipse depth ``e`` of the width)."""
    d = (x1 - x0) * e
    c.ellipse(x0, y1 - d, x1, y1, shade(fill, 0.8))
    c.rect(x0, y0 + d / 2, x1, y1 - d / 2, fill, edge=None)
    c.line([(x0, y0 + d / 2), (x0, y1 - d / 2)], shade(fill, 0.68))
    c.line([(x1, y0 + d / 2), (x1, y1 - d / 2)], shade(fill, 0.68))
    c.rect(x0 + (x1 - x0) * 0.12, y0 + d, x0 + (x1 - x0) * 0.2, y1 - d, shade(fill, 1.25),
           edge=None)
    c.ellipse(x0, y0, x1, y0 + d, top if top is not None else shade(fill, 1.15))


def box3d(c: Canvas, x0: float, y0: float, x1: float, y1: float, fill: Colour,
          d: float = 0.08) -> tuple[float, float, float, float]:
    """A box seen from the front-left and a little above; returns its front face."""
    c.poly([(x0, y0 + d), (x0 + d, y0), (x1, y0), (x1 - d, y0 + d)], shade(fill, 1.25))
    c.poly([(x1 - d, y0 + d), (x1, y0), (x1, y1 - d), (x1 - d, y1)], shade(fill, 0.78))
    c.rect(x0, y0 + d, x1 - d, y1, fill)
    return (x0, y0 + d, x1 - d, y1)


def pouch(c: Canvas, x0: float, y0: float, x1: float, y1: float, fill: Colour) -> None:
    """A stand-up pouch: slightly narrower at the top, with a crimped seal."""
    w = x1 - x0
    c.poly([(x0 + w * 0.06, y0), (x1 - w * 0.06, y0), (x1, y1 - w * 0.04), (x1 - w * 0.04, y1),
            (x0 + w * 0.04, y1), (x0, y1 - w * 0.04)], fill)
    c.rect(x0 + w * 0.06, y0, x1 - w * 0.06, y0 + (y1 - y0) * 0.07, shade(fill, 0.82))
    for j in range(1, 12):
        x = x0 + w * 0.06 + (w * 0.88) * j / 12
        c.line([(x, y0), (x, y0 + (y1 - y0) * 0.07)], shade(fill, 0.65), EDGE * 0.6)


def coil(c: Canvas, cx: float, cy: float, rx: float, ry: float, loops: int, colour: Colour,
         w: float) -> None:
    """A coiled cable: ``loops`` offset ellipses."""
    for j in range(loops):
        dx = (j - (loops - 1) / 2) * rx * 0.12
        c.arc(cx - rx + dx, cy - ry, cx + rx + dx, cy + ry, 0, 360, shade(colour, 0.8 + 0.1 * j), w)
