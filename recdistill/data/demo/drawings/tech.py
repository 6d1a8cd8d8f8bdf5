"""Drawings of Phones & Wearables, Computers & Office and Electronics.

See :mod:`recdistill.data.demo.drawings`.
"""

from __future__ import annotations

from recdistill.data.demo.drawings.canvas import (
    GLASS,
    INK,
    METAL,
    PAPER,
    SCREEN,
    WHITE,
    Canvas,
    Draw,
    Look,
    box3d,
    coil,
    each,
    mark,
    mix,
    shade,
    tiles,
)


# ---------------------------------------------------------------- Phones & Wearables
def _phone_back(c: Canvas, look: Look, x0: float, y0: float, x1: float, y1: float,
                lenses: int) -> None:
    w = x1 - x0
    c.rect(x0, y0, x1, y1, look.fill, r=w * 0.16)
    c.rect(x0 + w * 0.1, y0 + w * 0.1, x0 + w * 0.5, y0 + w * 0.55, shade(look.main, 0.85),
           r=w * 0.08)
    spots = [(0.2, 0.2), (0.4, 0.2), (0.2, 0.42), (0.4, 0.42)][:lenses]
    for u, v in spots:
        c.circle(x0 + w * u, y0 + w * v, w * 0.075, SCREEN)
        c.circle(x0 + w * u, y0 + w * v, w * 0.03, (70, 84, 110), edge=None)


def phones(c: Canvas, look: Look) -> None:
    """A smartphone's back (colour, 2-4 lenses by storage) behind its lit front."""
    lenses = 2 + round(look.rank("storage") * 2)
    _phone_back(c, look, 0.44, 0.1, 0.82, 0.86, lenses)
    mark(c, 0.63, 0.6, 0.04, look)
    c.rect(0.18, 0.16, 0.54, 0.92, shade(look.main, 0.55), r=0.06)
    c.rect(0.195, 0.175, 0.525, 0.905, SCREEN, r=0.05, edge=None)
    c.rect(0.21, 0.3, 0.51, 0.89, mix(look.main, SCREEN, 0.35), r=0.03, edge=None)
    c.ellipse(0.24, 0.5, 0.5, 0.8, mix(look.main, WHITE, 0.35), edge=None)
    c.circle(0.36, 0.21, 0.012, INK, edge=None)


def phone_accessories(c: Canvas, look: Look) -> None:
    """Cases, protectors and stands, all drawn around a phone-shaped slab."""
    f = look.form
    if f in (0, 1, 6):  # silicone, clear, rugged case
        x0, y0, x1, y1 = 0.3, 0.08, 0.7, 0.9
        clear = look.clear or f == 1
        c.rect(x0, y0, x1, y1, GLASS if f == 1 else look.fill, r=0.08, w=0.012)
        c.rect(x0 + 0.04, y0 + 0.04, x0 + 0.2, y0 + 0.24, GLASS if clear else (236, 237, 240),
               r=0.04)
        if f == 6:
            for u, v in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
                c.circle(u, v, 0.05, shade(look.main, 0.7))
            c.rect(x0 + 0.1, 0.55, x1 - 0.1, 0.62, shade(look.main, 0.75), r=0.02)
        mark(c, 0.5, 0.55, 0.04, look, INK if clear else shade(look.main, 0.75))
    elif f == 2:  # screen protector, 2-pack
        for dx in (0.0, 0.14):
            c.rect(0.22 + dx, 0.1 + dx * 0.5, 0.6 + dx, 0.84 + dx * 0.5, GLASS, r=0.06, w=0.01)
            c.line([(0.3 + dx, 0.3 + dx), (0.46 + dx, 0.16 + dx)], (255, 255, 255, 200), 0.02)
    elif f == 3:  # wallet case, open like a book
        c.rect(0.1, 0.14, 0.5, 0.86, look.main, r=0.05)
        c.rect(0.5, 0.14, 0.9, 0.86, look.main, r=0.05)
        for j in range(3):
            c.rect(0.15, 0.4 + j * 0.1, 0.45, 0.5 + j * 0.1, shade(look.main, 0.85), r=0.02)
        c.rect(0.56, 0.18, 0.84, 0.82, SCREEN, r=0.04)
        for x in (0.13, 0.87):
            c.line([(x, 0.18), (x, 0.82)], shade(look.main, 1.3), 0.006)
    elif f == 4:  # camera lens protectors
        for dx in (0.0, 0.3):
            c.rect(0.16 + dx, 0.28 + dx * 0.4, 0.52 + dx, 0.64 + dx * 0.4, GLASS, r=0.06)
            for u, v in ((0.26, 0.38), (0.42, 0.38), (0.26, 0.54)):
                c.ring(u + dx, v + dx * 0.4, 0.055, (40, 44, 52, 255), 0.02)
    else:  # wireless charging stand holding a phone
        c.poly([(0.25, 0.88), (0.75, 0.88), (0.68, 0.8), (0.32, 0.8)], look.fill)
        c.rect(0.3, 0.12, 0.7, 0.82, look.fill, r=0.06)
        c.rect(0.34, 0.16, 0.66, 0.78, SCREEN, r=0.04)
        c.ring(0.5, 0.46, 0.1, (90, 170, 240), 0.015)


def smartwatches(c: Canvas, look: Look) -> None:
    """A square watch face on a band; the 45 mm case is drawn larger."""
    s = look.size("case", 0.9, 1.0)
    cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
    band = shade(look.main, 0.9)
    cc.rect(0.36, 0.0, 0.64, 0.3, band, r=0.04)
    cc.rect(0.36, 0.7, 0.64, 1.0, band, r=0.04)
    for y in (0.8, 0.87, 0.94):
        cc.circle(0.5, y, 0.012, shade(band, 0.6), edge=None)
    cc.rect(0.26, 0.24, 0.74, 0.76, look.main, r=0.1, w=0.012)
    cc.rect(0.3, 0.28, 0.7, 0.72, SCREEN, r=0.08, edge=None)
    cc.ring(0.5, 0.5, 0.13, look.accent, 0.025)
    cc.line([(0.5, 0.5), (0.5, 0.41)], WHITE, 0.015)
    cc.line([(0.5, 0.5), (0.57, 0.54)], WHITE, 0.015)
    cc.rect(0.74, 0.42, 0.78, 0.5, shade(look.main, 0.8), r=0.01)


def _band(c: Canvas, fill: tuple[int, ...], mesh: bool = False) -> None:
    c.rect(0.38, 0.04, 0.62, 0.96, fill, r=0.1, w=0.01)
    if mesh:
        for j in range(14):
            y = 0.08 + j * 0.062
            c.line([(0.39, y), (0.61, y + 0.03)], shade(fill, 0.8), 0.006)
    else:
        for j in range(5):
            c.circle(0.5, 0.6 + j * 0.065, 0.014, shade(fill, 0.6), edge=None)
    c.rect(0.36, 0.3, 0.64, 0.36, shade(fill, 0.85), r=0.02)


def watch_accessories(c: Canvas, look: Look) -> None:
    """Bands (sport, mesh), bumpers and films: around a watch band's shape."""
    f = look.form
    if f == 0:
        _band(c, look.main)
    elif f == 3:
        _band(c, look.main, mesh=True)
    elif f == 1:  # charging puck and cable
        coil(c, 0.5, 0.62, 0.3, 0.2, 3, WHITE, 0.02)
        c.circle(0.5, 0.32, 0.15, WHITE)
        c.circle(0.5, 0.32, 0.09, shade(WHITE, 0.85))
    else:  # bumper cases (2) or films (3)
        n = 2 if f == 2 else 3

        def one(cc: Canvas) -> None:
            if f == 2:
                cc.rect(0.15, 0.15, 0.85, 0.85, look.fill, r=0.18, w=0.01)
                cc.rect(0.25, 0.25, 0.75, 0.75, (236, 237, 240, 255), r=0.12)
            else:
                cc.rect(0.15, 0.15, 0.85, 0.85, GLASS, r=0.18, w=0.01)
        each(c, n, one)


def headphones(c: Canvas, look: Look) -> None:
    """Over-ear headphones, or earbuds beside their charging case."""
    m = look.main
    if look.form == 0:
        c.arc(0.2, 0.1, 0.8, 0.8, 180, 360, shade(m, 0.8), 0.06)
        for x in (0.2, 0.8):
            c.rect(x - 0.1, 0.42, x + 0.1, 0.78, m, r=0.08)
            c.rect(x - 0.06, 0.48, x + 0.06, 0.72, shade(m, 0.75), r=0.05)
        mark(c, 0.2, 0.6, 0.035, look)
        return
    c.rect(0.16, 0.42, 0.58, 0.86, m, r=0.12)
    c.line([(0.16, 0.56), (0.58, 0.56)], shade(m, 0.7), 0.008)
    mark(c, 0.37, 0.72, 0.035, look)
    for x, y in ((0.66, 0.3), (0.8, 0.5)):
        if look.form == 2:
            c.arc(x - 0.12, y - 0.14, x + 0.08, y + 0.1, 180, 330, shade(m, 0.8), 0.03)
        c.circle(x, y, 0.08, m)
        c.circle(x, y, 0.04, shade(m, 0.7))
        c.rect(x - 0.02, y + 0.04, x + 0.02, y + 0.2, m, r=0.02)


# --------------------------------------------------------------- Computers & Office
def laptops(c: Canvas, look: Look) -> None:
    """An open laptop: lit screen over a keyboard base; RAM and SSD tint the wallpaper."""
    m = look.main
    c.rect(0.18, 0.14, 0.82, 0.6, shade(m, 0.8), r=0.03)
    c.rect(0.2, 0.16, 0.8, 0.58, SCREEN, r=0.02, edge=None)
    tint = mix((60, 90, 200), (200, 80, 150), look.rank("ram"))
    c.rect(0.22, 0.18, 0.78, 0.56, mix(tint, SCREEN, 0.3), edge=None)
    c.ellipse(0.3, 0.3 + 0.1 * look.rank("ssd"), 0.7, 0.6, mix(tint, WHITE, 0.3), edge=None)
    c.rect(0.22, 0.5, 0.78, 0.56, mix(tint, SCREEN, 0.3), edge=None)
    c.poly([(0.18, 0.6), (0.82, 0.6), (0.94, 0.82), (0.06, 0.82)], m)
    for j in range(4):
        y = 0.63 + j * 0.035
        c.line([(0.2 - j * 0.02, y), (0.8 + j * 0.02, y)], shade(m, 0.75), 0.012)
    c.rect(0.42, 0.77, 0.58, 0.8, shade(m, 0.88), r=0.01)
    c.rect(0.06, 0.82, 0.94, 0.85, shade(m, 0.8), r=0.01)


def laptop_accessories(c: Canvas, look: Look) -> None:
    """Sleeves, adapters, covers, docks, shells and filters: flat laptop-sized shapes."""
    f, m = look.form, look.fill
    if f == 0:  # sleeve
        c.rect(0.1, 0.22, 0.9, 0.82, m, r=0.06)
        c.line([(0.14, 0.27), (0.86, 0.27)], shade(look.main, 0.6), 0.012)
        c.rect(0.2, 0.45, 0.8, 0.76, shade(look.main, 0.9), r=0.04)
        mark(c, 0.5, 0.6, 0.04, look)
    elif f == 1:  # power adapter
        coil(c, 0.6, 0.6, 0.25, 0.18, 3, WHITE, 0.018)
        c.rect(0.14, 0.32, 0.46, 0.64, WHITE, r=0.05)
        c.rect(0.86, 0.3, 0.9, 0.36, METAL)
        mark(c, 0.3, 0.48, 0.04, look, (190, 190, 190))
    elif f == 2:  # keyboard cover
        c.rect(0.08, 0.3, 0.92, 0.72, GLASS, r=0.04)
        for j in range(4):
            for k in range(12):
                c.rect(0.12 + k * 0.065, 0.34 + j * 0.09, 0.17 + k * 0.065, 0.41 + j * 0.09,
                       (170, 190, 205, 150), r=0.01, edge=None)
    elif f == 3:  # dock
        c.rect(0.08, 0.45, 0.92, 0.62, (70, 72, 78), r=0.04)
        for k in range(6):
            c.rect(0.16 + k * 0.12, 0.51, 0.22 + k * 0.12, 0.55, INK, r=0.01)
        c.line([(0.92, 0.54), (0.96, 0.5), (0.96, 0.3)], INK, 0.018)
    elif f == 4:  # hard shell
        c.rect(0.1, 0.25, 0.9, 0.8, m, r=0.05, w=0.012)
        c.rect(0.14, 0.29, 0.86, 0.76, (*look.main, 70) if look.clear else shade(look.main, 1.1),
               r=0.04, edge=None)
        mark(c, 0.5, 0.52, 0.05, look, shade(look.main, 0.8))
    else:  # privacy filter
        c.rect(0.12, 0.2, 0.88, 0.74, (30, 34, 40, 200), r=0.02, w=0.01)
        c.line([(0.2, 0.62), (0.4, 0.3)], (255, 255, 255, 90), 0.04)


def tablets(c: Canvas, look: Look) -> None:
    """A tablet in its colour frame; storage adds rows of apps, cellular a band on the back."""
    m = look.main
    if look.form == 1:
        c.rect(0.42, 0.1, 0.86, 0.8, m, r=0.05)
        c.rect(0.42, 0.16, 0.86, 0.2, shade(m, 0.85), edge=None)
    c.rect(0.16, 0.16, 0.7, 0.9, shade(m, 0.85), r=0.05)
    c.rect(0.185, 0.185, 0.675, 0.875, SCREEN, r=0.03, edge=None)
    c.rect(0.2, 0.2, 0.66, 0.86, mix(m, SCREEN, 0.25), edge=None)
    rows = 2 + round(look.rank("storage") * 2)
    for j in range(rows):
        for k in range(4):
            col = mix(look.accent, WHITE, 0.15 * k)
            c.rect(0.24 + k * 0.1, 0.26 + j * 0.11, 0.3 + k * 0.1, 0.32 + j * 0.11, col, r=0.015,
                   edge=None)


def tablet_accessories(c: Canvas, look: Look) -> None:
    """Folios, styluses, protectors and keyboard cases around a tablet-sized slab."""
    f, m = look.form, look.main
    if f == 0:  # folio
        c.rect(0.2, 0.12, 0.8, 0.9, m, r=0.04)
        for x in (0.4, 0.6):
            c.line([(x, 0.13), (x, 0.89)], shade(m, 0.7), 0.01)
        mark(c, 0.5, 0.5, 0.04, look)
    elif f == 1:  # stylus
        c.line([(0.2, 0.82), (0.78, 0.18)], WHITE, 0.07)
        c.line([(0.2, 0.82), (0.78, 0.18)], (214, 214, 214), 0.004)
        c.poly([(0.185, 0.8), (0.22, 0.84), (0.13, 0.9)], (120, 120, 120))
        c.line([(0.7, 0.24), (0.75, 0.19)], look.accent, 0.07)
    elif f == 2:  # paper-feel protector
        c.rect(0.2, 0.1, 0.8, 0.9, (238, 238, 232, 170), r=0.04, w=0.01)
        for j in range(8):
            c.line([(0.24, 0.16 + j * 0.1), (0.76, 0.14 + j * 0.1)], (210, 210, 205, 160), 0.004)
    elif f == 3:  # keyboard case
        c.rect(0.14, 0.1, 0.86, 0.56, (60, 62, 68), r=0.04)
        c.rect(0.17, 0.13, 0.83, 0.53, SCREEN, r=0.03, edge=None)
        c.rect(0.1, 0.58, 0.9, 0.88, (60, 62, 68), r=0.03)
        for j in range(4):
            for k in range(10):
                c.rect(0.14 + k * 0.075, 0.61 + j * 0.065, 0.195 + k * 0.075, 0.66 + j * 0.065,
                       (35, 36, 40), r=0.008, edge=None)
    else:  # kids' case with a handle
        c.arc(0.22, 0.04, 0.78, 0.5, 180, 360, m, 0.07)
        c.rect(0.16, 0.2, 0.84, 0.9, m, r=0.1)
        c.rect(0.26, 0.3, 0.74, 0.8, SCREEN, r=0.03)


def printers(c: Canvas, look: Look) -> None:
    """An all-in-one printer: paper in the top tray, a small panel, the output slot."""
    m = look.main
    c.poly([(0.3, 0.14), (0.7, 0.14), (0.74, 0.34), (0.26, 0.34)], PAPER, edge=(180, 180, 180))
    box3d(c, 0.1, 0.3, 0.9, 0.82, m, 0.08)
    c.rect(0.18, 0.5, 0.36, 0.6, SCREEN, r=0.01)
    c.rect(0.3, 0.66, 0.72, 0.7, shade(m, 0.6), r=0.01)
    c.poly([(0.32, 0.7), (0.7, 0.7), (0.74, 0.78), (0.28, 0.78)], shade(m, 0.9))
    mark(c, 0.72, 0.52, 0.03, look)


def ink_toner(c: Canvas, look: Look) -> None:
    """Ink cartridges: black, tri-colour, a taller high-yield one, or a combo pair."""
    f = look.form

    def cart(cc: Canvas, colours: tuple[tuple[int, int, int], ...], tall: float) -> None:
        top = 0.9 - 0.6 * tall
        box3d(cc, 0.26, top, 0.78, 0.9, (70, 72, 78), 0.08)
        for j, col in enumerate(colours):
            h = (0.9 - top - 0.2) / len(colours)
            cc.rect(0.3, top + 0.14 + j * h, 0.66, top + 0.12 + (j + 1) * h, col, r=0.01)
        mark(cc, 0.48, 0.82, 0.03, look)

    black = ((34, 34, 36),)
    tri = ((0, 170, 220), (220, 0, 130), (250, 220, 0))
    if f == 3:
        c2 = c.at(0.0, 0.1, 0.6)
        cart(c2, black, 1.0)
        cart(c.at(0.38, 0.28, 0.6), tri, 1.0)
    else:
        cart(c, tri if f == 1 else black, 1.2 if f == 2 else 0.95)


def office_supplies(c: Canvas, look: Look) -> None:
    """Paper reams, a fan of pens, pads of sticky notes, a stack of notebooks."""
    f = look.form
    if f == 0:
        reams = 1 if look.rank("sheets") < 0.5 else 5
        wide = 0.78 if look.rank("paper") < 0.5 else 0.72
        for j in range(reams):
            y1 = 0.86 - j * 0.11
            box3d(c, 0.5 - wide / 2, y1 - 0.2, 0.5 + wide / 2, y1, PAPER, 0.07)
            c.rect(0.5 - wide / 2 + 0.05, y1 - 0.1, 0.5 + wide / 2 - 0.12, y1 - 0.06,
                   look.accent, edge=None)
        return
    n = min(look.count, 24)
    if f == 1:
        for j in range(n):
            x = 0.12 + 0.76 * (j + 0.5) / n
            col = look.colours[j % len(look.colours)]
            c.line([(x, 0.2), (x, 0.78)], (236, 236, 236), 0.5 / n + 0.01)
            c.line([(x, 0.2), (x, 0.32)], col, 0.5 / n + 0.012)
            c.poly([(x - 0.01, 0.78), (x + 0.01, 0.78), (x, 0.84)], col)
        return
    if f == 2:
        for j, (x, y, s) in enumerate(tiles(n, overlap=0.08)):
            col = look.colours[j % len(look.colours)]
            c.rect(x + 0.08 * s, y + 0.08 * s, x + 0.92 * s, y + 0.92 * s, col, r=0.03 * s)
            c.rect(x + 0.08 * s, y + 0.08 * s, x + 0.92 * s, y + 0.2 * s, shade(col, 0.9),
                   edge=None)
        return
    for j in range(min(n, 12)):  # notebooks: a stack, one spine per book
        y = 0.84 - j * 0.055 * (12 / max(n, 12))
        col = (look.accent, (60, 80, 150), (40, 40, 44))[j % 3]
        c.rect(0.16, y - 0.05, 0.84, y, col, r=0.01, w=0.004)
    top = 0.84 - min(n, 12) * 0.055 * (12 / max(n, 12))
    c.poly([(0.16, top), (0.84, top), (0.74, top - 0.22), (0.26, top - 0.22)], look.accent)
    for k in range(8):
        c.circle(0.3 + k * 0.058, top - 0.2, 0.012, METAL)


def desk_accessories(c: Canvas, look: Look) -> None:
    """Mouse, keyboard, laptop stand, monitor light, desk mat."""
    f, m = look.form, look.main
    if f == 0:
        c.ellipse(0.3, 0.16, 0.7, 0.86, m)
        c.line([(0.5, 0.18), (0.5, 0.44)], shade(m, 0.6), 0.01)
        c.rect(0.48, 0.26, 0.52, 0.36, (80, 80, 86), r=0.02)
        mark(c, 0.5, 0.7, 0.04, look)
    elif f == 1:
        switch = {0: (200, 40, 40), 1: (130, 80, 40), 2: (40, 90, 200)}[
            max(look.index.get("switch", 0), 0) % 3]
        c.rect(0.06, 0.32, 0.94, 0.74, m, r=0.04)
        for j in range(5):
            for k in range(14):
                col = switch if (j + k) % 7 == 0 else shade(m, 0.8 if m[0] > 100 else 1.4)
                c.rect(0.09 + k * 0.059, 0.35 + j * 0.075, 0.14 + k * 0.059, 0.41 + j * 0.075,
                       col, r=0.008)
    elif f == 2:
        c.poly([(0.14, 0.4), (0.86, 0.4), (0.86, 0.46), (0.14, 0.46)], m)
        c.line([(0.24, 0.45), (0.34, 0.82)], shade(m, 0.8), 0.035)
        c.line([(0.76, 0.45), (0.66, 0.82)], shade(m, 0.8), 0.035)
        c.rect(0.2, 0.8, 0.8, 0.85, shade(m, 0.9), r=0.02)
    elif f == 3:
        c.poly([(0.14, 0.32), (0.86, 0.32), (0.7, 0.7), (0.3, 0.7)], (255, 240, 190, 130),
               edge=None)
        c.rect(0.1, 0.24, 0.9, 0.32, m, r=0.04)
        c.rect(0.46, 0.32, 0.54, 0.46, shade(m, 0.8))
        c.rect(0.3, 0.7, 0.7, 0.86, (60, 60, 66), r=0.02)
    else:
        wide = look.size("mat", 0.72, 0.88)
        c.rect(0.5 - wide / 2, 0.4, 0.5 + wide / 2, 0.76, m, r=0.04, w=0.01)
        c.rect(0.5 - wide / 2 + 0.02, 0.42, 0.5 + wide / 2 - 0.02, 0.74, shade(m, 1.08), r=0.03,
               edge=None)


# ---------------------------------------------------------------------- Electronics
def cameras(c: Canvas, look: Look) -> None:
    """A mirrorless body; the kit decides the lens (cap, short zoom, long zoom)."""
    m = look.main
    c.poly([(0.4, 0.3), (0.46, 0.18), (0.62, 0.18), (0.68, 0.3)], m)
    c.rect(0.12, 0.28, 0.84, 0.7, m, r=0.05)
    c.rect(0.12, 0.28, 0.84, 0.36, shade(m, 1.6), r=0.03, edge=None)
    c.rect(0.12, 0.36, 0.26, 0.7, shade(m, 0.7), r=0.04)
    c.circle(0.74, 0.24, 0.035, shade(m, 1.4))
    kit = look.rank("kit", 0.0)
    length = 0.06 if kit == 0 else 0.16 if kit < 1 else 0.28
    r = 0.16 + 0.02 * (kit > 0)
    c.rect(0.54 - r, 0.49 - r, 0.54 + r, 0.49 + r, INK, r=r)
    c.circle(0.54, 0.49, r * 0.95, (50, 52, 58))
    if length > 0.06:
        c.ellipse(0.54 - r, 0.49 - r, 0.54 + r, 0.49 + r, (40, 42, 48))
        for j in range(3):
            c.ring(0.54, 0.49, r * (0.8 - 0.15 * j), (70, 72, 80), 0.012)
        c.circle(0.54, 0.49, r * 0.35, (60, 90, 140))
        c.circle(0.5, 0.45, r * 0.12, (200, 220, 255), edge=None)
    else:
        c.circle(0.54, 0.49, r * 0.7, (30, 30, 34))
        mark(c, 0.54, 0.49, r * 0.2, look, (120, 120, 126))
    c.rect(0.34, 0.7, 0.34 + length * 1.5, 0.74, INK, edge=None)


def camera_accessories(c: Canvas, look: Look) -> None:
    """Batteries, a camera bag, screen protectors, a grip, a dual charger."""
    f = look.form
    if f == 0:
        def battery(cc: Canvas) -> None:
            box3d(cc, 0.2, 0.2, 0.8, 0.84, (50, 52, 58), 0.08)
            cc.rect(0.26, 0.4, 0.66, 0.56, look.accent, edge=None)
        each(c, 2, battery)
    elif f == 1:
        m = look.main
        c.arc(0.24, 0.06, 0.76, 0.5, 180, 360, shade(m, 0.7), 0.04)
        c.rect(0.14, 0.28, 0.86, 0.86, m, r=0.06)
        c.rect(0.14, 0.28, 0.86, 0.52, shade(m, 0.88), r=0.06)
        c.rect(0.44, 0.48, 0.56, 0.56, shade(m, 0.6), r=0.01)
        c.rect(0.22, 0.62, 0.78, 0.8, shade(m, 0.92), r=0.03)
    elif f == 2:
        c.rect(0.18, 0.24, 0.82, 0.76, GLASS, r=0.04, w=0.01)
        c.line([(0.28, 0.64), (0.44, 0.34)], (255, 255, 255, 180), 0.03)
    elif f == 3:
        c.poly([(0.2, 0.14), (0.56, 0.14), (0.56, 0.6), (0.84, 0.6), (0.84, 0.88), (0.2, 0.88)],
               (46, 48, 54))
        c.rect(0.26, 0.3, 0.4, 0.82, (36, 36, 40), r=0.04)
        c.circle(0.72, 0.68, 0.03, (80, 80, 86))
    else:
        c.rect(0.1, 0.46, 0.9, 0.8, (50, 52, 58), r=0.05)
        for x in (0.18, 0.54):
            c.rect(x, 0.34, x + 0.28, 0.62, (70, 72, 80), r=0.02)
            c.rect(x + 0.04, 0.42, x + 0.24, 0.5, look.accent, edge=None)
        c.circle(0.5, 0.72, 0.015, (80, 220, 90), edge=None)


def game_consoles(c: Canvas, look: Look) -> None:
    """A standing console (taller with more storage) and its controller."""
    m = look.main
    other = (30, 30, 34) if m[0] > 128 else (240, 240, 240)
    top = 0.26 - 0.12 * look.rank("storage")
    c.poly([(0.3, top), (0.58, top - 0.04), (0.62, 0.8), (0.26, 0.84)], other)
    c.poly([(0.36, top + 0.02), (0.54, top - 0.01), (0.56, 0.78), (0.34, 0.8)], m)
    c.line([(0.45, top + 0.05), (0.45, 0.78)], look.accent, 0.008)
    _controller(c.at(0.5, 0.5, 0.44), m, other)


def _controller(c: Canvas, body: tuple[int, int, int], detail: tuple[int, int, int]) -> None:
    c.ellipse(0.08, 0.45, 0.42, 0.9, body)
    c.ellipse(0.58, 0.45, 0.92, 0.9, body)
    c.rect(0.18, 0.3, 0.82, 0.7, body, r=0.18)
    c.rect(0.24, 0.46, 0.34, 0.5, detail, edge=None)
    c.rect(0.27, 0.43, 0.31, 0.53, detail, edge=None)
    for u, v in ((0.7, 0.42), (0.76, 0.48), (0.64, 0.48), (0.7, 0.54)):
        c.circle(u, v, 0.025, detail, edge=None)
    for u in (0.4, 0.6):
        c.circle(u, 0.62, 0.05, detail)


def gaming_accessories(c: Canvas, look: Look) -> None:
    """Controllers (alone, docked), a headset, a stand with fan, a remote."""
    f, m = look.form, look.main
    dark, light = (34, 34, 38), (236, 236, 236)
    detail = dark if m[0] + m[1] + m[2] > 380 else light
    if f == 0:
        _controller(c.at(0.05, 0.0, 0.9), m, detail)
    elif f == 1:
        c.rect(0.1, 0.66, 0.9, 0.82, dark, r=0.04)
        for x in (0.04, 0.46):
            _controller(c.at(x, 0.25, 0.5), light, dark)
        c.circle(0.5, 0.74, 0.015, (80, 160, 255), edge=None)
    elif f == 2:
        c.arc(0.2, 0.12, 0.8, 0.8, 180, 360, shade(m, 0.8), 0.06)
        for x in (0.2, 0.8):
            c.rect(x - 0.1, 0.44, x + 0.1, 0.78, m, r=0.06)
        c.line([(0.14, 0.7), (0.26, 0.86), (0.42, 0.88)], dark, 0.02)
    elif f == 3:
        c.rect(0.34, 0.1, 0.66, 0.78, light, r=0.04)
        c.rect(0.2, 0.76, 0.8, 0.86, dark, r=0.03)
        c.circle(0.5, 0.8, 0.03, (80, 160, 255))
        c.circle(0.5, 0.44, 0.1, dark)
        for k in range(6):
            c.pie(0.41, 0.35, 0.59, 0.53, k * 60, k * 60 + 35, (90, 90, 96), edge=None)
    else:
        c.rect(0.38, 0.12, 0.62, 0.88, dark, r=0.08)
        c.circle(0.5, 0.3, 0.06, (60, 60, 66))
        for j in range(4):
            for k in range(2):
                c.circle(0.45 + k * 0.1, 0.46 + j * 0.1, 0.025, (80, 80, 86), edge=None)


def video_games(c: Canvas, look: Look) -> None:
    """A game case: the platform's header band over cover art coloured by the title."""
    art = look.main
    c.rect(0.24, 0.08, 0.78, 0.9, (230, 230, 232), r=0.02)
    c.rect(0.26, 0.1, 0.76, 0.2, look.accent, edge=None)
    c.rect(0.26, 0.2, 0.76, 0.88, art, edge=None)
    c.circle(0.62, 0.36, 0.07, mix(art, (255, 240, 200), 0.6), edge=None)
    c.poly([(0.26, 0.88), (0.26, 0.66), (0.42, 0.46), (0.56, 0.64), (0.66, 0.54), (0.76, 0.66),
            (0.76, 0.88)], shade(art, 0.55), edge=None)
    k = max(look.index.get("game", 0), 0)
    c.rect(0.3, 0.74, 0.3 + 0.2 + 0.04 * (k % 5), 0.8, WHITE, edge=None)
    c.line([(0.24, 0.08), (0.24, 0.9)], (200, 200, 204), 0.02)


def cables_chargers(c: Canvas, look: Look) -> None:
    """Coiled cables (more loops when longer), a power bank, a wall charger."""
    f, m = look.form, look.main
    if f in (0, 3):
        col = m if f == 0 else (40, 40, 44)
        loops = 2 + round(look.rank("length") * 3)
        coil(c, 0.5, 0.5, 0.3, 0.24, loops, col, 0.03)
        plug = METAL if f == 0 else INK
        c.rect(0.14, 0.72, 0.28, 0.82, col, r=0.02)
        c.rect(0.16, 0.82, 0.26, 0.88, plug, r=0.01)
        c.rect(0.72, 0.72, 0.86, 0.82, col, r=0.02)
        c.rect(0.74, 0.82, 0.84, 0.88, plug, r=0.01)
    elif f == 1:
        s = look.size("mah", 0.85, 1.0)
        cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
        cc.rect(0.26, 0.12, 0.74, 0.88, m, r=0.08)
        for j in range(4):
            cc.circle(0.42 + j * 0.055, 0.78, 0.014, (90, 200, 255), edge=None)
        mark(cc, 0.5, 0.42, 0.05, look)
    else:
        s = look.size("watt", 0.75, 1.0)
        cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
        box3d(cc, 0.22, 0.3, 0.78, 0.86, m, 0.1)
        for x in (0.38, 0.56):
            cc.rect(x, 0.14, x + 0.04, 0.34, METAL)
        cc.rect(0.36, 0.6, 0.56, 0.66, INK, r=0.01)
        mark(cc, 0.46, 0.76, 0.035, look)


DRAWINGS: dict[str, Draw] = {
    "Phones": phones,
    "Phone Accessories": phone_accessories,
    "Smartwatches": smartwatches,
    "Watch Accessories": watch_accessories,
    "Headphones": headphones,
    "Laptops": laptops,
    "Laptop Accessories": laptop_accessories,
    "Tablets": tablets,
    "Tablet Accessories": tablet_accessories,
    "Printers": printers,
    "Ink & Toner": ink_toner,
    "Office Supplies": office_supplies,
    "Desk Accessories": desk_accessories,
    "Cameras": cameras,
    "Camera Accessories": camera_accessories,
    "Game Consoles": game_consoles,
    "Gaming Accessories": gaming_accessories,
    "Video Games": video_games,
    "Cables & Chargers": cables_chargers,
}
