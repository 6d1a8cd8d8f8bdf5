"""Drawings of Home & Garden, Beauty, Sports & Outdoors, Clothing & Shoes and Baby & Toys.

See :mod:`recdistill.data.demo.drawings`.
"""

from __future__ import annotations

import math

from recdistill.data.demo.drawings.canvas import (
    INK,
    METAL,
    RGB,
    WHITE,
    Canvas,
    Draw,
    Look,
    box3d,
    coil,
    cylinder,
    each,
    label,
    luma,
    mark,
    mix,
    shade,
    stripes,
    tiles,
)

WOOD: RGB = (176, 124, 76)
CORK: RGB = (198, 156, 108)

# --------------------------------------------------------------------- Home & Garden
def robot_vacuums(c: Canvas, look: Look) -> None:
    """A round robot (lidar cap, bumper) in front of its dock; the self-empty base is tall."""
    m = look.main
    base = look.rank("dock", 0.0) > 0.5
    if base:
        c.rect(0.3, 0.1, 0.7, 0.66, m, r=0.06)
        c.rect(0.36, 0.18, 0.64, 0.4, shade(m, 0.85), r=0.04)
    else:
        c.rect(0.36, 0.34, 0.64, 0.62, m, r=0.04)
    c.ellipse(0.1, 0.44, 0.9, 0.88, m)
    c.ellipse(0.1, 0.44, 0.9, 0.8, shade(m, 1.12))
    c.ellipse(0.4, 0.5, 0.6, 0.6, shade(m, 0.7))
    c.arc(0.1, 0.44, 0.9, 0.88, 20, 160, shade(m, 0.5), 0.015)
    mark(c, 0.5, 0.7, 0.035, look)


def vacuum_parts(c: Canvas, look: Look) -> None:
    """HEPA filters (3), side brushes (4), dust bags (6), a roller brush."""
    f = look.form
    if f == 0:
        def hepa(cc: Canvas) -> None:
            cc.rect(0.14, 0.2, 0.86, 0.8, (120, 120, 126), r=0.03)
            cc.rect(0.2, 0.26, 0.8, 0.74, WHITE, edge=None)
            for k in range(10):
                cc.line([(0.22 + k * 0.064, 0.26), (0.22 + k * 0.064, 0.74)], (200, 200, 196),
                        0.01)
        each(c, 3, hepa)
    elif f == 1:
        def brush(cc: Canvas) -> None:
            for k in range(3):
                a = k * 2 * math.pi / 3 - math.pi / 2
                cc.line([(0.5, 0.5), (0.5 + 0.42 * math.cos(a), 0.5 + 0.42 * math.sin(a))],
                        (70, 70, 76), 0.05)
            cc.circle(0.5, 0.5, 0.12, look.accent)
        each(c, 4, brush)
    elif f == 2:
        def bag(cc: Canvas) -> None:
            cc.rect(0.16, 0.14, 0.84, 0.86, (236, 232, 222), r=0.04)
            cc.rect(0.3, 0.2, 0.7, 0.36, look.accent, r=0.02)
            cc.circle(0.5, 0.28, 0.06, (236, 232, 222))
        each(c, 6, bag)
    else:
        c.rect(0.1, 0.42, 0.9, 0.6, (60, 62, 68), r=0.09)
        for k in range(9):
            x = 0.16 + k * 0.08
            c.line([(x, 0.42), (x + 0.06, 0.6)], look.accent, 0.02)
        c.rect(0.04, 0.46, 0.12, 0.56, INK, r=0.02)
        c.rect(0.88, 0.46, 0.96, 0.56, INK, r=0.02)


def bedding(c: Canvas, look: Look) -> None:
    """Folded sheets (wider with the bed size), a quilted comforter, a pillow."""
    f, m = look.form, look.main
    key = "pillow" if f == 2 else "bed"
    w = 0.6 + 0.28 * look.rank(key)
    x0, x1 = 0.5 - w / 2, 0.5 + w / 2
    if f == 2:
        c.rect(x0, 0.4, x1, 0.78, (250, 250, 250), r=0.14)
        c.rect(x0 + 0.04, 0.44, x1 - 0.04, 0.74, (240, 240, 238), r=0.12, edge=None)
        mark(c, 0.5, 0.59, 0.035, look)
        return
    layers = 4 if f == 0 else 2
    h = 0.1 if f == 0 else 0.2
    for j in range(layers):
        y1 = 0.86 - j * h
        c.rect(x0, y1 - h, x1, y1, shade(m, 1.0 - 0.04 * (j % 2)), r=0.04)
        if f == 1:
            for k in range(1, 5):
                c.line([(x0 + (x1 - x0) * k / 5, y1 - h + 0.02), (x0 + (x1 - x0) * k / 5,
                                                                 y1 - 0.02)],
                       shade(m, 0.8), 0.006)
    if f == 0:
        c.rect(0.47, 0.86 - layers * h, 0.53, 0.86, look.accent, edge=None)


def lighting(c: Canvas, look: Look) -> None:
    """Desk lamp, smart bulbs (2-6), drum floor lamp, table lamp, string lights."""
    f, m = look.form, look.main
    glow = (255, 236, 170)
    if f == 1:
        def bulb(cc: Canvas) -> None:
            cc.circle(0.5, 0.38, 0.28, (250, 250, 246))
            cc.rect(0.38, 0.6, 0.62, 0.86, METAL, r=0.03)
            for j in range(3):
                cc.line([(0.38, 0.68 + j * 0.06), (0.62, 0.66 + j * 0.06)], shade(METAL, 0.7),
                        0.01)
        each(c, look.count, bulb)
    elif f == 4:
        n = 8 + round(look.rank("length") * 6)
        pts = [(0.06 + 0.88 * k / (n - 1), 0.36 + 0.2 * math.sin(k / (n - 1) * math.pi))
               for k in range(n)]
        c.line(pts, (60, 80, 60), 0.008)
        for x, y in pts:
            c.circle(x, y + 0.04, 0.025, glow, edge=(230, 190, 90))
        coil(c, 0.5, 0.78, 0.16, 0.08, 2, (60, 80, 60), 0.008)
    elif f == 0:
        c.rect(0.2, 0.82, 0.6, 0.88, m, r=0.02)
        c.line([(0.4, 0.82), (0.32, 0.46), (0.62, 0.24)], m, 0.025)
        c.poly([(0.52, 0.22), (0.72, 0.16), (0.82, 0.32), (0.64, 0.38)], m)
        c.poly([(0.68, 0.34), (0.8, 0.3), (0.9, 0.62), (0.7, 0.66)], (255, 240, 190, 90),
               edge=None)
    elif f == 2:
        c.rect(0.3, 0.06, 0.7, 0.3, (236, 226, 204), w=0.008)
        c.line([(0.5, 0.3), (0.5, 0.88)], m, 0.02)
        c.ellipse(0.36, 0.84, 0.64, 0.92, m)
    else:
        c.pie(0.22, 0.22, 0.78, 0.72, 180, 360, m)
        c.rect(0.46, 0.46, 0.54, 0.84, m)
        c.ellipse(0.32, 0.8, 0.68, 0.9, m)
        c.ellipse(0.3, 0.42, 0.7, 0.5, glow, edge=None)


def home_decor(c: Canvas, look: Look) -> None:
    """Vase (taller by height), folded throw, cushion, round mirror, candle jar."""
    f, m = look.form, look.main
    if f == 0:
        s = look.size("height", 0.78, 1.0)
        cc = c.at(0.5 - s / 2, 0.96 - s, s)
        cc.poly([(0.42, 0.12), (0.58, 0.12), (0.56, 0.3), (0.74, 0.52), (0.66, 0.9),
                 (0.34, 0.9), (0.26, 0.52), (0.44, 0.3)], m)
        cc.ellipse(0.4, 0.08, 0.6, 0.16, shade(m, 0.7))
        cc.line([(0.34, 0.5), (0.38, 0.76)], shade(m, 1.3), 0.02)
    elif f == 1:
        for j in range(3):
            y1 = 0.84 - j * 0.14
            c.rect(0.16, y1 - 0.14, 0.84, y1, shade(m, 1.0 - 0.05 * j), r=0.05)
            for k in range(8):
                c.line([(0.2 + k * 0.085, y1 - 0.13), (0.2 + k * 0.085, y1 - 0.01)],
                       shade(m, 0.85), 0.006)
        for k in range(10):
            c.line([(0.18 + k * 0.072, 0.84), (0.18 + k * 0.072, 0.9)], shade(m, 0.8), 0.008)
    elif f == 2:
        c.poly([(0.16, 0.2), (0.5, 0.26), (0.84, 0.2), (0.78, 0.54), (0.84, 0.88), (0.5, 0.82),
                (0.16, 0.88), (0.22, 0.54)], m)
        c.line([(0.26, 0.3), (0.74, 0.78)], shade(m, 0.85), 0.01)
        c.line([(0.74, 0.3), (0.26, 0.78)], shade(m, 0.85), 0.01)
    elif f == 3:
        s = look.size("mirror", 0.74, 1.0)
        frame = look.pick("frame", ((212, 175, 55), (34, 34, 36)))
        c.circle(0.5, 0.5, 0.4 * s, frame)
        c.circle(0.5, 0.5, 0.34 * s, (196, 214, 226))
        c.line([(0.5 - 0.2 * s, 0.5 + 0.05 * s), (0.5 - 0.05 * s, 0.5 - 0.2 * s)],
               (236, 244, 250), 0.03)
        c.line([(0.5, 0.1 - 0.0), (0.5, 0.5 - 0.4 * s)], INK, 0.006)
    else:
        wax = look.pick("scent", ((150, 90, 70), (190, 220, 226), (190, 170, 220),
                                  (246, 236, 210)))
        cylinder(c, 0.28, 0.3, 0.72, 0.86, (*wax, 255), top=shade(wax, 1.2))
        c.rect(0.3, 0.48, 0.7, 0.7, WHITE, edge=None)
        mark(c, 0.5, 0.59, 0.05, look)
        c.line([(0.5, 0.34), (0.5, 0.26)], INK, 0.008)
        c.ellipse(0.47, 0.14, 0.53, 0.26, (255, 190, 60), edge=None)


def garden_tools(c: Canvas, look: Look) -> None:
    """Pruning shears, hose reel, trowel, watering can, raised bed, gloves."""
    f, m = look.form, look.main
    if f == 0:
        c.line([(0.5, 0.46), (0.24, 0.86)], m, 0.07)
        c.line([(0.5, 0.46), (0.76, 0.86)], shade(m, 0.85), 0.07)
        c.poly([(0.48, 0.5), (0.4, 0.16), (0.5, 0.08), (0.56, 0.46)], METAL)
        c.poly([(0.52, 0.5), (0.62, 0.2), (0.56, 0.14), (0.46, 0.44)], shade(METAL, 0.85))
        c.circle(0.5, 0.47, 0.03, INK)
    elif f == 1:
        loops = 3 + round(look.rank("length") * 4)
        coil(c, 0.5, 0.52, 0.34, 0.3, loops, (70, 150, 70), 0.035)
        c.rect(0.74, 0.76, 0.9, 0.84, (240, 170, 40), r=0.02)
    elif f == 2:
        c.line([(0.5, 0.5), (0.76, 0.14)], m, 0.07)
        c.poly([(0.5, 0.5), (0.3, 0.56), (0.16, 0.88), (0.44, 0.76), (0.56, 0.56)], METAL)
    elif f == 3:
        s = look.size("litre", 0.8, 1.0)
        cc = c.at(0.5 - s / 2, 0.94 - s * 0.94, s)
        cc.line([(0.3, 0.62), (0.1, 0.3)], METAL, 0.06)
        cc.rect(0.02, 0.24, 0.14, 0.32, shade(METAL, 0.85), r=0.02)
        cc.rect(0.3, 0.36, 0.8, 0.88, METAL, r=0.06)
        cc.arc(0.38, 0.14, 0.8, 0.56, 180, 360, shade(METAL, 0.8), 0.04)
    elif f == 4:
        w = 0.64 + 0.24 * look.rank("bedsize")
        front = box3d(c, 0.5 - w / 2, 0.44, 0.5 + w / 2, 0.84, WOOD, 0.12)
        c.poly([(front[0] + 0.02, 0.5), (front[0] + 0.12, 0.46), (front[2] + 0.1, 0.46),
                (front[2], 0.5)], (92, 64, 40), edge=None)
        for j in range(1, 3):
            c.line([(front[0], 0.56 + j * 0.1), (front[2], 0.56 + j * 0.1)], shade(WOOD, 0.7),
                   0.006)
    else:
        s = look.size("size", 0.78, 1.0)

        def glove(cc: Canvas) -> None:
            col = (110, 160, 90)
            cc.rect(0.26, 0.4, 0.74, 0.9, col, r=0.14)
            for k in range(4):
                cc.rect(0.26 + k * 0.12, 0.14 + abs(k - 1.5) * 0.05, 0.36 + k * 0.12, 0.5, col,
                        r=0.05)
            cc.rect(0.26, 0.8, 0.74, 0.9, shade(col, 0.7), r=0.02)
        each(c, 2, glove, x0=0.5 - 0.44 * s, x1=0.5 + 0.44 * s)


# ----------------------------------------------------------- Beauty & Personal Care
def electric_toothbrushes(c: Canvas, look: Look) -> None:
    """A sonic toothbrush standing on its charger."""
    m = look.main
    c.ellipse(0.32, 0.8, 0.68, 0.9, (236, 236, 236))
    c.rect(0.42, 0.3, 0.58, 0.86, m, r=0.07)
    c.rect(0.47, 0.08, 0.53, 0.32, m, r=0.02)
    c.rect(0.46, 0.08, 0.54, 0.16, WHITE, r=0.02)
    c.rect(0.45, 0.06, 0.55, 0.1, (90, 170, 230), r=0.01, edge=None)
    c.circle(0.5, 0.52, 0.03, shade(m, 0.7))
    mark(c, 0.5, 0.66, 0.02, look)


def brush_heads(c: Canvas, look: Look) -> None:
    """Four brush heads; the bristle colour follows the head type."""
    bristle = look.pick("head", ((120, 200, 140), (60, 130, 220), (250, 250, 250)))

    def head(cc: Canvas) -> None:
        cc.rect(0.4, 0.3, 0.6, 0.92, WHITE, r=0.06)
        cc.rect(0.36, 0.08, 0.64, 0.3, bristle, r=0.04)
        cc.rect(0.4, 0.7, 0.6, 0.74, look.accent, edge=None)
    each(c, 4, head)


def _bottle(c: Canvas, look: Look, kind: str) -> None:
    col = look.main
    if kind == "shampoo":
        c.rect(0.3, 0.18, 0.7, 0.9, col, r=0.1)
        c.rect(0.38, 0.08, 0.62, 0.2, shade(col, 0.7), r=0.04)
    elif kind == "tube":
        c.poly([(0.3, 0.12), (0.7, 0.12), (0.64, 0.76), (0.36, 0.76)], col)
        c.rect(0.38, 0.76, 0.62, 0.9, shade(col, 0.7), r=0.03)
    elif kind == "jar":
        c.rect(0.2, 0.36, 0.8, 0.88, col, r=0.08)
        c.rect(0.18, 0.26, 0.82, 0.4, shade(col, 0.75), r=0.04)
    elif kind == "pump":
        c.rect(0.32, 0.3, 0.68, 0.9, col, r=0.08)
        c.rect(0.44, 0.16, 0.56, 0.3, WHITE)
        c.rect(0.44, 0.12, 0.74, 0.17, WHITE, r=0.02)
    else:  # dropper
        c.rect(0.34, 0.4, 0.66, 0.9, (*shade(col, 0.7)[:3], 230), r=0.06)
        c.flush()
        c.rect(0.4, 0.26, 0.6, 0.4, INK, r=0.02)
        c.ellipse(0.42, 0.1, 0.58, 0.3, INK)
    body_top = {"shampoo": 0.3, "tube": 0.24, "jar": 0.46, "pump": 0.42, "dropper": 0.52}[kind]
    label(c, 0.38, body_top + 0.04, 0.62, min(body_top + 0.34, 0.84), look,
          mix(WHITE, col, 0.1), lines=1)


def hair_care(c: Canvas, look: Look) -> None:
    """A shampoo bottle or an upside-down conditioner tube; larger by volume."""
    s = look.size("ml", 0.7, 1.0)
    _bottle(c.at(0.5 - s / 2, 0.94 - s * 0.94, s), look, "shampoo" if look.form == 0 else "tube")


def skin_care(c: Canvas, look: Look) -> None:
    """Moisturizer jar, cleanser pump, serum dropper, sunscreen tube; larger by volume."""
    s = look.size("ml", 0.7, 1.0)
    kind = ("jar", "pump", "dropper", "tube")[look.form % 4]
    _bottle(c.at(0.5 - s / 2, 0.94 - s * 0.94, s), look, kind)


# -------------------------------------------------------------- Sports & Outdoors
def yoga_fitness(c: Canvas, look: Look) -> None:
    """Rolled mat (thicker at 6 mm), cork blocks (2), bands, dumbbells, foam roller."""
    f, m = look.form, look.main
    if f == 0:
        r = 0.14 + 0.04 * look.rank("mm")
        c.rect(0.14, 0.5 - r, 0.8, 0.5 + r, m, r=0.02)
        c.circle(0.8, 0.5, r, shade(m, 0.9))
        for j in range(3):
            c.ring(0.8, 0.5, r * (0.8 - 0.25 * j), shade(m, 0.7), 0.008)
        c.line([(0.3, 0.5 - r), (0.3, 0.5 + r)], INK, 0.015)
        c.line([(0.64, 0.5 - r), (0.64, 0.5 + r)], INK, 0.015)
    elif f == 1:
        each(c, 2, lambda cc: _brick(cc, CORK))
    elif f == 2:
        n = 2 + round(look.rank("level") * 2)
        cols = ((240, 200, 40), (230, 80, 60), (60, 130, 220), (40, 40, 44))
        for j in range(n):
            c.ellipse(0.14 + j * 0.06, 0.2 + j * 0.08, 0.86 - j * 0.06, 0.7 + j * 0.04, None,
                      edge=cols[j], w=0.03)
    elif f == 3:
        plates = 3 + round(look.rank("lb") * 3)
        for x in (0.18, 0.6):
            for k in range(plates):
                c.rect(x + k * 0.035, 0.42 - 0.02 * (k % 2), x + k * 0.035 + 0.03,
                       0.72 + 0.02 * (k % 2), (50, 52, 58), r=0.01)
        c.rect(0.16, 0.54, 0.84, 0.6, METAL)
    else:
        w = 0.52 + 0.3 * look.rank("inch")
        c.rect(0.5 - w / 2, 0.38, 0.5 + w / 2, 0.66, m, r=0.14)
        for k in range(int(w * 20)):
            x = 0.5 - w / 2 + 0.04 + k * 0.05
            if x < 0.5 + w / 2 - 0.04:
                c.rect(x, 0.4, x + 0.025, 0.64, shade(m, 0.8), r=0.01, edge=None)


def _brick(c: Canvas, col: RGB) -> None:
    box3d(c, 0.12, 0.28, 0.88, 0.84, col, 0.14)
    for k in range(12):
        c.circle(0.2 + (k * 0.37) % 0.5, 0.5 + (k * 0.23) % 0.3, 0.012, shade(col, 0.75),
                 edge=None)


def camping(c: Canvas, look: Look) -> None:
    """Dome tent (wider for more people), mummy bag, rolled pad, headlamp, stove."""
    f, m = look.form, look.main
    if f == 0:
        w = 0.6 + 0.3 * look.rank("person")
        x0, x1 = 0.5 - w / 2, 0.5 + w / 2
        c.pie(x0, 0.3, x1, 1.3, 180, 360, m)
        c.arc(x0 + 0.1 * w, 0.3, x1 - 0.1 * w, 1.3, 180, 360, shade(m, 0.6), 0.012)
        c.poly([(0.5, 0.44), (0.42, 0.8), (0.58, 0.8)], shade(m, 0.55))
        c.line([(x0 - 0.02, 0.8), (x1 + 0.02, 0.8)], INK, 0.01)
    elif f == 1:
        c.poly([(0.32, 0.14), (0.68, 0.14), (0.76, 0.4), (0.66, 0.88), (0.34, 0.88),
                (0.24, 0.4)], m)
        c.ellipse(0.38, 0.18, 0.62, 0.36, shade(m, 0.6))
        c.line([(0.62, 0.34), (0.62, 0.84)], shade(m, 0.6), 0.008)
        for j in range(5):
            c.line([(0.3, 0.42 + j * 0.09), (0.7, 0.42 + j * 0.09)], shade(m, 0.85), 0.005)
    elif f == 2:
        c.rect(0.16, 0.38, 0.84, 0.66, m, r=0.14)
        c.circle(0.84, 0.52, 0.14, shade(m, 0.85))
        c.ring(0.84, 0.52, 0.08, shade(m, 0.6), 0.01)
        for x in (0.34, 0.62):
            c.rect(x, 0.37, x + 0.04, 0.67, INK, edge=None)
    elif f == 3:
        bright = look.rank("lumen")
        c.ellipse(0.14, 0.2, 0.86, 0.76, None, edge=(60, 62, 68), w=0.05)
        c.rect(0.36, 0.62, 0.64, 0.84, (236, 130, 40), r=0.05)
        c.circle(0.5, 0.73, 0.07 + 0.02 * bright, (255, 250, 210))
    else:
        c.rect(0.24, 0.5, 0.76, 0.8, (60, 62, 68), r=0.04)
        c.ellipse(0.2, 0.42, 0.8, 0.56, (90, 92, 98))
        c.ring(0.5, 0.49, 0.1, (40, 40, 44), 0.02)
        flame = (70, 140, 240) if look.rank("fuel", 0.0) < 0.5 else (240, 140, 40)
        c.poly([(0.44, 0.44), (0.5, 0.26), (0.56, 0.44)], flame, edge=None)
        for x in (0.26, 0.7):
            c.line([(x, 0.8), (x - 0.06 + 0.12 * (x > 0.5), 0.9)], METAL, 0.015)


def cycling(c: Canvas, look: Look) -> None:
    """Vented helmet (larger by size), light set, padded shorts, floor pump, U-lock."""
    f, m = look.form, look.main
    if f == 0:
        s = look.size("size", 0.8, 1.0)
        cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
        cc.pie(0.1, 0.2, 0.9, 1.0, 180, 360, m)
        cc.rect(0.1, 0.58, 0.9, 0.64, INK)
        for k in range(4):
            cc.ellipse(0.22 + k * 0.15, 0.34 + abs(k - 1.5) * 0.04, 0.3 + k * 0.15,
                       0.5 + abs(k - 1.5) * 0.02, INK)
        stripes(cc, 0.15, 0.3, 0.85, 0.5, look)
        cc.line([(0.3, 0.64), (0.36, 0.82), (0.62, 0.82), (0.7, 0.64)], INK, 0.012)
    elif f == 1:
        r = 0.08 + 0.03 * look.rank("lumen")
        for x, col in ((0.32, (250, 250, 240)), (0.68, (230, 40, 40))):
            c.rect(x - 0.1, 0.3, x + 0.1, 0.72, (44, 46, 52), r=0.06)
            c.circle(x, 0.44, r, col)
            c.rect(x - 0.04, 0.72, x + 0.04, 0.8, INK)
    elif f == 2:
        s = look.size("size", 0.8, 1.0)
        cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
        cc.poly([(0.2, 0.2), (0.8, 0.2), (0.88, 0.8), (0.56, 0.84), (0.5, 0.46), (0.44, 0.84),
                 (0.12, 0.8)], (34, 34, 38))
        cc.rect(0.2, 0.2, 0.8, 0.28, (60, 60, 66))
        stripes(cc, 0.14, 0.5, 0.4, 0.76, look)
    elif f == 3:
        c.rect(0.46, 0.12, 0.54, 0.78, m, r=0.02)
        c.rect(0.3, 0.1, 0.7, 0.15, INK, r=0.02)
        c.circle(0.5, 0.66, 0.1, WHITE)
        c.line([(0.5, 0.66), (0.56, 0.6)], (220, 40, 40), 0.01)
        c.rect(0.28, 0.82, 0.72, 0.88, INK, r=0.02)
        c.line([(0.54, 0.5), (0.8, 0.62), (0.86, 0.86)], INK, 0.012)
    else:
        c.arc(0.26, 0.1, 0.74, 0.6, 180, 360, METAL, 0.06)
        c.line([(0.29, 0.35), (0.29, 0.72)], METAL, 0.06)
        c.line([(0.71, 0.35), (0.71, 0.72)], METAL, 0.06)
        c.rect(0.18, 0.66, 0.82, 0.8, (220, 180, 40), r=0.04)
        coil(c, 0.5, 0.86, 0.3, 0.06, 2, (60, 60, 66), 0.012)


# ---------------------------------------------------------------- Clothing & Shoes
def running_shoes(c: Canvas, look: Look) -> None:
    """A running shoe in profile: upper in the first colour, sole in the second, brand stripes."""
    upper, sole = look.main, look.second
    slim = 0.04 if look.form == 1 else 0.0
    c.poly([(0.08, 0.7), (0.12, 0.44 + slim), (0.3, 0.36 + slim), (0.42, 0.4 + slim),
            (0.56, 0.52 + slim), (0.8, 0.58), (0.92, 0.66), (0.9, 0.74), (0.08, 0.74)], upper)
    c.poly([(0.06, 0.74), (0.92, 0.74), (0.9, 0.82), (0.1, 0.84)], sole)
    c.line([(0.1, 0.78), (0.9, 0.78)], shade(sole, 0.8), 0.006)
    c.ellipse(0.14, 0.38 + slim, 0.3, 0.46 + slim, shade(upper, 0.6))
    for k in range(4):
        y = 0.44 + k * 0.03 + slim
        c.line([(0.36 + k * 0.05, y), (0.4 + k * 0.05, y - 0.02)],
               WHITE if luma(upper) < 140 else INK, 0.012)
    stripes(c, 0.3, 0.56, 0.7, 0.72, look, sole if sole != upper else look.accent)


def t_shirts(c: Canvas, look: Look) -> None:
    """A T-shirt, crew or V-neck; merino and performance fabrics get a texture."""
    m = look.main
    c.poly([(0.36, 0.12), (0.16, 0.2), (0.06, 0.4), (0.2, 0.46), (0.26, 0.4), (0.26, 0.88),
            (0.74, 0.88), (0.74, 0.4), (0.8, 0.46), (0.94, 0.4), (0.84, 0.2), (0.64, 0.12)], m)
    if look.form == 0:
        c.pie(0.38, 0.04, 0.62, 0.24, 0, 180, shade(m, 0.75))
    else:
        c.poly([(0.38, 0.12), (0.62, 0.12), (0.5, 0.3)], shade(m, 0.75))
    fabric = look.index.get("fabric", 0)
    if fabric == 1:
        for k in range(30):
            c.circle(0.3 + (k * 0.137) % 0.4, 0.4 + (k * 0.071) % 0.44, 0.006, shade(m, 0.85),
                     edge=None)
    elif fabric == 2:
        for j in range(4):
            c.line([(0.26, 0.5 + j * 0.1), (0.74, 0.5 + j * 0.1)], shade(m, 0.9), 0.006)
    mark(c, 0.62, 0.34, 0.035, look)


def jackets(c: Canvas, look: Look) -> None:
    """A rain jacket with a hood, a quilted puffer, a half-zip fleece."""
    f, m = look.form, look.main
    c.poly([(0.34, 0.16), (0.14, 0.24), (0.06, 0.86), (0.2, 0.88), (0.26, 0.5), (0.26, 0.9),
            (0.74, 0.9), (0.74, 0.5), (0.8, 0.88), (0.94, 0.86), (0.86, 0.24), (0.66, 0.16)], m)
    zip_end = 0.9 if f != 2 else 0.4
    if f == 0:
        c.pie(0.34, 0.02, 0.66, 0.3, 180, 360, shade(m, 0.8))
    else:
        c.rect(0.38, 0.1, 0.62, 0.2, shade(m, 0.85), r=0.03)
    c.line([(0.5, 0.18), (0.5, zip_end)], shade(m, 0.55), 0.012)
    if f == 1:
        for j in range(6):
            y = 0.3 + j * 0.1
            c.line([(0.27, y), (0.73, y)], shade(m, 0.75), 0.01)
            c.line([(0.1, y + 0.04), (0.24, y + 0.04)], shade(m, 0.75), 0.01)
            c.line([(0.76, y + 0.04), (0.9, y + 0.04)], shade(m, 0.75), 0.01)
    mark(c, 0.64, 0.32, 0.03, look)


def socks(c: Canvas, look: Look) -> None:
    """2, 3 or 6 socks, ankle or hiking height; assorted packs cycle their colours."""
    tall = look.form == 1
    cols = look.colours

    def sock(cc: Canvas, col: RGB) -> None:
        top = 0.06 if tall else 0.3
        cc.poly([(0.3, top), (0.62, top), (0.62, 0.64), (0.86, 0.74), (0.86, 0.92), (0.4, 0.92),
                 (0.3, 0.8)], col)
        cc.rect(0.3, top, 0.62, top + 0.1, shade(col, 0.8), edge=None)
        cc.rect(0.7, 0.74, 0.86, 0.92, shade(col, 0.85), r=0.06, edge=None)
        stripes(cc, 0.3, top + 0.12, 0.62, top + 0.26, look)

    for i, (x, y, s) in enumerate(tiles(look.count)):
        sock(c.at(x, y, s), cols[i % len(cols)])


# ----------------------------------------------------------------------- Baby & Toys
def diapers(c: Canvas, look: Look) -> None:
    """A diaper pack (wider at 168 count), blue by day, navy overnight; baby size as dots."""
    col = (120, 190, 236) if look.form == 0 else (44, 60, 130)
    w = 0.58 + 0.28 * look.rank("count")
    x0 = 0.5 - w / 2
    c.rect(x0, 0.2, x0 + w, 0.88, col, r=0.08)
    c.rect(x0 + 0.06, 0.14, x0 + w - 0.06, 0.24, shade(col, 0.85), r=0.04)
    c.circle(0.5, 0.5, 0.14, WHITE)
    c.circle(0.5, 0.48, 0.06, (246, 210, 180), edge=None)
    if look.form == 1:
        c.circle(x0 + 0.1, 0.32, 0.04, (250, 220, 90), edge=None)
    size = max(look.index.get("n", 0), 0) + 1
    for k in range(size):
        c.circle(0.5 - (size - 1) * 0.035 + k * 0.07, 0.74, 0.024, WHITE, edge=None)
    mark(c, x0 + w - 0.1, 0.32, 0.035, look, WHITE)


def baby_wipes(c: Canvas, look: Look) -> None:
    """4, 8 or 12 soft packs of wipes with their lids."""
    col = look.pick("pack", ((210, 236, 220), (220, 230, 250), (250, 226, 230)))
    shift = look.form * 0.3

    def pack(cc: Canvas) -> None:
        cc.rect(0.08, 0.3, 0.92, 0.76, (250, 250, 250), r=0.14)
        cc.rect(0.3, 0.36, 0.7, 0.52, mix(col, look.accent, shift), r=0.06)
        cc.rect(0.12, 0.58, 0.88, 0.72, col, r=0.04, edge=None)
    each(c, look.count, pack, overlap=0.12)


def building_sets(c: Canvas, look: Look) -> None:
    """A set's box (bigger with more pieces) with bricks in front; the theme colours the art."""
    s = look.size("pcs", 0.74, 1.0)
    art = look.main
    cc = c.at(0.5 - s / 2, 0.9 - s * 0.86, s)
    front = box3d(cc, 0.08, 0.1, 0.92, 0.72, art, 0.1)
    cc.rect(front[0] + 0.04, front[1] + 0.04, front[0] + 0.3, front[1] + 0.14, (230, 40, 40),
            r=0.01)
    cc.poly([(front[0] + 0.1, front[3] - 0.06), (0.4, front[1] + 0.24),
             (0.6, front[3] - 0.2), (front[2] - 0.06, front[3] - 0.06)], shade(art, 1.35))
    for k, col in enumerate(((230, 40, 40), (250, 200, 30), (40, 110, 220))):
        x = 0.14 + k * 0.24
        cc.rect(x, 0.78, x + 0.2, 0.92, col, r=0.01)
        for j in range(2):
            cc.rect(x + 0.03 + j * 0.09, 0.75, x + 0.08 + j * 0.09, 0.79, col, edge=None)


def puzzles_games(c: Canvas, look: Look) -> None:
    """A jigsaw box (bigger with more pieces) with its scene, or a square board game box."""
    art = look.main
    if look.form == 0:
        s = look.size("pcs", 0.84, 1.0)
        cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
        front = box3d(cc, 0.06, 0.2, 0.94, 0.76, WHITE, 0.06)
        cc.rect(front[0] + 0.04, front[1] + 0.04, front[2] - 0.04, front[3] - 0.04, art,
                edge=None)
        cc.circle(0.66, 0.38, 0.06, mix(art, (255, 240, 200), 0.7), edge=None)
        cc.poly([(front[0] + 0.04, front[3] - 0.04), (0.3, 0.44), (0.5, front[3] - 0.12),
                 (0.68, 0.5), (front[2] - 0.04, front[3] - 0.04)], shade(art, 0.6), edge=None)
        for k in range(2):
            x = 0.3 + k * 0.3
            cc.rect(x, 0.8, x + 0.1, 0.9, art, r=0.01)
            cc.circle(x + 0.1, 0.85, 0.025, art, edge=None)
    else:
        front = box3d(c, 0.12, 0.18, 0.88, 0.86, art, 0.1)
        x0, y0, x1, y1 = front
        for j in range(5):
            for k in range(5):
                if (j + k) % 2 == 0:
                    dx, dy = (x1 - x0 - 0.16) / 5, (y1 - y0 - 0.16) / 5
                    c.rect(x0 + 0.08 + k * dx, y0 + 0.08 + j * dy, x0 + 0.08 + (k + 1) * dx,
                           y0 + 0.08 + (j + 1) * dy, shade(art, 1.4), edge=None)
        mark(c, (x0 + x1) / 2, (y0 + y1) / 2, 0.08, look, WHITE)


DRAWINGS: dict[str, Draw] = {
    "Robot Vacuums": robot_vacuums,
    "Vacuum Parts": vacuum_parts,
    "Bedding": bedding,
    "Lighting": lighting,
    "Home Decor": home_decor,
    "Garden Tools": garden_tools,
    "Electric Toothbrushes": electric_toothbrushes,
    "Brush Heads": brush_heads,
    "Hair Care": hair_care,
    "Skin Care": skin_care,
    "Yoga & Fitness": yoga_fitness,
    "Camping": camping,
    "Cycling": cycling,
    "Running Shoes": running_shoes,
    "T-Shirts": t_shirts,
    "Jackets": jackets,
    "Socks": socks,
    "Diapers": diapers,
    "Baby Wipes": baby_wipes,
    "Building Sets": building_sets,
    "Puzzles & Games": puzzles_games,
}
