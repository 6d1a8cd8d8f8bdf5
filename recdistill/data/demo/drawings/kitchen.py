"""Drawings of Kitchen & Dining, Grocery and Pet Supplies.

See :mod:`recdistill.data.demo.drawings`.
"""

from __future__ import annotations

import math

from recdistill.data.demo.drawings.canvas import (
    GLASS,
    INK,
    METAL,
    PAPER,
    RGB,
    SCREEN,
    WHITE,
    Canvas,
    Draw,
    Look,
    box3d,
    cylinder,
    each,
    label,
    mark,
    mix,
    pouch,
    shade,
)

KRAFT: RGB = (196, 160, 116)

# ------------------------------------------------------------------ Kitchen & Dining
def espresso_machines(c: Canvas, look: Look) -> None:
    """An espresso machine: group head and portafilter over a cup, a steam wand."""
    m = look.main
    c.rect(0.16, 0.12, 0.84, 0.3, m, r=0.03)
    c.rect(0.16, 0.28, 0.32, 0.8, m, r=0.02)
    c.rect(0.68, 0.28, 0.84, 0.8, m, r=0.02)
    c.rect(0.3, 0.3, 0.7, 0.36, shade(m, 0.8))
    c.circle(0.76, 0.2, 0.04, (240, 240, 240))
    c.line([(0.76, 0.2), (0.76, 0.16)], INK, 0.008)
    c.rect(0.42, 0.36, 0.58, 0.42, METAL)
    c.line([(0.56, 0.4), (0.7, 0.42)], INK, 0.03)
    c.rect(0.42, 0.56, 0.56, 0.7, WHITE, r=0.02)
    c.line([(0.32, 0.34), (0.3, 0.6)], METAL, 0.015)
    c.rect(0.12, 0.78, 0.88, 0.86, shade(m, 0.75), r=0.02)
    c.rect(0.3, 0.72, 0.7, 0.78, METAL)
    mark(c, 0.5, 0.2, 0.035, look)


def espresso_supplies(c: Canvas, look: Look) -> None:
    """Descaler bottles (2), a water filter cartridge, a box of capsules by roast."""
    f = look.form
    if f == 0:
        def bottle(cc: Canvas) -> None:
            cc.rect(0.4, 0.08, 0.6, 0.2, look.accent, r=0.02)
            cc.rect(0.25, 0.2, 0.75, 0.9, (236, 240, 246), r=0.08)
            label(cc, 0.3, 0.42, 0.7, 0.76, look, (120, 190, 230))
        each(c, 2, bottle)
    elif f == 1:
        cylinder(c, 0.34, 0.16, 0.66, 0.86, (244, 246, 250))
        c.rect(0.34, 0.5, 0.66, 0.64, (60, 140, 220), edge=None)
        c.rect(0.44, 0.08, 0.56, 0.18, (220, 220, 224), r=0.02)
    else:
        roast = look.main
        box3d(c, 0.1, 0.14, 0.66, 0.76, roast, 0.08)
        mark(c, 0.34, 0.4, 0.06, look, WHITE)
        for j in range(3):
            x = 0.64 + (j % 2) * 0.14
            y = 0.64 + j * 0.08
            c.poly([(x - 0.08, y), (x + 0.08, y), (x + 0.05, y + 0.1), (x - 0.05, y + 0.1)], roast)
            c.ellipse(x - 0.08, y - 0.02, x + 0.08, y + 0.02, shade(roast, 1.4))


def coffee_gear(c: Canvas, look: Look) -> None:
    """Pour-over dripper, burr grinder, gooseneck kettle, French press; larger when 1 L."""
    f, m = look.form, look.main
    s = look.size("litre", 0.85, 1.0)
    c = c.at(0.5 - s / 2, 0.96 - s * 0.96, s)
    if f == 0:
        c.poly([(0.22, 0.2), (0.78, 0.2), (0.6, 0.5), (0.4, 0.5)], m)
        c.ellipse(0.22, 0.16, 0.78, 0.24, shade(m, 0.8))
        c.arc(0.72, 0.22, 0.86, 0.4, 270, 90, m, 0.03)
        c.rect(0.32, 0.5, 0.68, 0.56, m)
        c.rect(0.3, 0.56, 0.7, 0.9, GLASS, r=0.05)
        c.rect(0.32, 0.72, 0.68, 0.88, (110, 60, 30, 220), r=0.04, edge=None)
    elif f == 1:
        c.poly([(0.34, 0.1), (0.66, 0.1), (0.6, 0.34), (0.4, 0.34)], GLASS)
        c.poly([(0.38, 0.18), (0.62, 0.18), (0.6, 0.32), (0.4, 0.32)], (90, 50, 25, 230))
        c.flush()
        cylinder(c, 0.3, 0.32, 0.7, 0.9, m)
        c.circle(0.5, 0.56, 0.05, shade(m, 0.7))
        c.rect(0.38, 0.7, 0.62, 0.84, shade(m, 0.6), r=0.02)
    elif f == 2:
        c.ellipse(0.2, 0.36, 0.74, 0.9, m)
        c.rect(0.2, 0.62, 0.74, 0.9, m, r=0.08, edge=None)
        c.line([(0.26, 0.78), (0.12, 0.5), (0.1, 0.34), (0.02, 0.3)], m, 0.035)
        c.arc(0.56, 0.36, 0.9, 0.74, 270, 90, shade(m, 0.7), 0.04)
        c.rect(0.42, 0.3, 0.52, 0.38, shade(m, 0.7), r=0.02)
        c.rect(0.16, 0.88, 0.78, 0.94, shade(m, 0.6), r=0.02)
    else:
        c.rect(0.3, 0.1, 0.7, 0.18, m, r=0.02)
        c.line([(0.5, 0.02), (0.5, 0.7)], METAL, 0.02)
        c.circle(0.5, 0.04, 0.03, m)
        c.rect(0.32, 0.18, 0.68, 0.9, GLASS, r=0.03)
        c.rect(0.33, 0.56, 0.67, 0.89, (80, 40, 20, 220), edge=None)
        c.flush()
        c.arc(0.6, 0.26, 0.86, 0.74, 270, 90, m, 0.04)
        c.rect(0.3, 0.86, 0.7, 0.92, m, r=0.02)


def cookware(c: Canvas, look: Look) -> None:
    """A pan from above at an angle (larger by size), a pot with lid, a chef's knife."""
    f = look.form
    if f in (0, 1):
        s = look.size("cm" if f == 0 else "inch", 0.78, 1.0)
        body = look.main if f == 0 else (40, 40, 42)
        cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
        cc.line([(0.62, 0.5), (0.98, 0.3)], (30, 30, 32) if f == 0 else body, 0.06)
        cc.ellipse(0.04, 0.24, 0.7, 0.8, body)
        cc.ellipse(0.1, 0.28, 0.64, 0.74, (48, 48, 52) if f == 0 else (62, 62, 66))
        if f == 1:
            cc.arc(0.0, 0.46, 0.08, 0.58, 90, 270, body, 0.03)
    elif f in (2, 3):
        body = METAL if f == 2 else look.main
        s = look.size("litre" if f == 2 else "qt", 0.82, 1.0)
        cc = c.at(0.5 - s / 2, 0.54 - s / 2, s)
        if f == 2:
            cc.line([(0.7, 0.5), (0.98, 0.42)], (60, 60, 64), 0.05)
        else:
            for x in (0.12, 0.88):
                cc.rect(x - 0.06, 0.42, x + 0.06, 0.5, shade(body, 0.8), r=0.02)
        cc.rect(0.14, 0.38, 0.86, 0.86, body, r=0.06)
        cc.ellipse(0.1, 0.3, 0.9, 0.44, (200, 210, 220, 160) if f == 2 else shade(body, 1.15))
        cc.flush()
        cc.circle(0.5, 0.3, 0.05, INK if f == 2 else METAL)
        cc.rect(0.16, 0.5, 0.24, 0.8, shade(body, 1.25), edge=None)
    else:
        s = look.size("inch", 0.8, 1.0)
        cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
        cc.poly([(0.1, 0.64), (0.6, 0.36), (0.66, 0.44), (0.2, 0.72)], METAL)
        cc.line([(0.14, 0.66), (0.6, 0.4)], (220, 224, 228), 0.008)
        cc.line([(0.62, 0.42), (0.9, 0.26)], INK, 0.07)
        for t in (0.3, 0.6):
            cc.circle(0.62 + 0.28 * t + 0.04, 0.42 - 0.16 * t - 0.02, 0.01, METAL, edge=None)


def small_appliances(c: Canvas, look: Look) -> None:
    """Blender, toaster, air fryer, stand mixer, rice cooker."""
    f, m = look.form, look.main
    if f == 0:
        c.poly([(0.32, 0.1), (0.68, 0.1), (0.64, 0.6), (0.36, 0.6)], GLASS)
        c.poly([(0.36, 0.44), (0.64, 0.44), (0.63, 0.58), (0.37, 0.58)], (200, 60, 80, 200))
        c.flush()
        c.rect(0.3, 0.06, 0.7, 0.12, INK, r=0.02)
        c.poly([(0.3, 0.6), (0.7, 0.6), (0.74, 0.88), (0.26, 0.88)], m)
        c.circle(0.5, 0.74, 0.05, shade(m, 0.6))
    elif f == 1:
        c.rect(0.14, 0.34, 0.86, 0.84, m, r=0.12)
        for x in (0.28, 0.54):
            c.rect(x, 0.33, x + 0.18, 0.37, INK, r=0.01)
        c.rect(0.84, 0.5, 0.9, 0.56, INK, r=0.01)
        c.rect(0.24, 0.82, 0.76, 0.87, shade(m, 0.6), r=0.01)
        mark(c, 0.5, 0.6, 0.04, look)
    elif f == 2:
        c.rect(0.22, 0.14, 0.78, 0.88, m, r=0.12)
        c.rect(0.36, 0.2, 0.64, 0.3, SCREEN, r=0.02)
        c.rect(0.26, 0.48, 0.74, 0.84, shade(m, 0.85), r=0.06)
        c.rect(0.4, 0.56, 0.6, 0.62, shade(m, 0.6), r=0.02)
    elif f == 3:
        c.poly([(0.2, 0.3), (0.6, 0.16), (0.8, 0.24), (0.8, 0.4), (0.44, 0.44), (0.42, 0.8),
                (0.3, 0.8), (0.3, 0.42)], m)
        c.rect(0.16, 0.8, 0.84, 0.88, m, r=0.03)
        c.poly([(0.52, 0.5), (0.82, 0.5), (0.78, 0.78), (0.56, 0.78)], METAL)
        c.line([(0.67, 0.42), (0.67, 0.56)], METAL, 0.015)
    else:
        c.ellipse(0.16, 0.36, 0.84, 0.88, m)
        c.rect(0.16, 0.56, 0.84, 0.78, m, edge=None)
        c.ellipse(0.2, 0.28, 0.8, 0.48, shade(m, 1.12))
        c.rect(0.44, 0.26, 0.56, 0.32, INK, r=0.02)
        c.rect(0.4, 0.6, 0.6, 0.68, SCREEN, r=0.02)


def drinkware(c: Canvas, look: Look) -> None:
    """A bottle (taller by size), a travel mug, or a set of double-wall glass mugs."""
    f, m = look.form, look.main
    if f == 2:
        def mug(cc: Canvas) -> None:
            cc.arc(0.56, 0.3, 0.9, 0.7, 270, 90, GLASS, 0.06)
            cc.rect(0.16, 0.2, 0.72, 0.86, GLASS, r=0.08)
            cc.rect(0.24, 0.4, 0.64, 0.8, (110, 60, 30, 220), r=0.05, edge=None)
        each(c, look.num("n", 2), mug)
        return
    s = look.size("oz", 0.66, 1.0)
    top = 0.88 - 0.78 * s
    if f == 0:
        c.rect(0.42, top, 0.58, top + 0.08, INK, r=0.02)
        c.rect(0.32, top + 0.1, 0.68, 0.88, m, r=0.1)
        c.rect(0.38, top + 0.06, 0.62, top + 0.14, METAL, r=0.02)
        c.rect(0.37, top + 0.2, 0.41, 0.8, shade(m, 1.25), edge=None)
    else:
        c.poly([(0.32, top + 0.08), (0.68, top + 0.08), (0.62, 0.88), (0.38, 0.88)], m)
        c.rect(0.3, top, 0.7, top + 0.1, INK, r=0.03)
        c.rect(0.34, top + 0.3, 0.66, top + 0.38, METAL, edge=None)
    mark(c, 0.5, (top + 0.88) / 2 + 0.08, 0.04, look)


# -------------------------------------------------------------------------- Grocery
def coffee_beans(c: Canvas, look: Look) -> None:
    """A stand-up coffee bag (roast colour), beans or grounds on the label; 2 lb is larger."""
    s = look.size("weight", 0.82, 1.0)
    c = c.at(0.5 - s / 2, 0.94 - s * 0.94, s)
    bag = look.main
    pouch(c, 0.24, 0.1, 0.76, 0.9, bag)
    c.circle(0.5, 0.24, 0.025, shade(bag, 0.6))
    label(c, 0.3, 0.34, 0.7, 0.8, look, mix(WHITE, look.second, 0.15))
    if look.form == 0:
        for u in (0.42, 0.58):
            c.ellipse(u - 0.04, 0.66, u + 0.04, 0.76, (90, 55, 30))
            c.line([(u, 0.67), (u, 0.75)], (60, 35, 20), 0.006)
    else:
        c.poly([(0.38, 0.76), (0.62, 0.76), (0.5, 0.66)], (100, 62, 36), edge=None)


def coffee_filters(c: Canvas, look: Look) -> None:
    """Cone or basket paper filters (a taller stack with more count), or a steel mesh cone."""
    f = look.form
    paper = PAPER if f == 0 else KRAFT
    if f == 2:
        s = look.size("size", 0.8, 1.0)
        cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
        cc.poly([(0.2, 0.2), (0.8, 0.2), (0.56, 0.8), (0.44, 0.8)], METAL)
        for j in range(6):
            cc.line([(0.26 + j * 0.1, 0.22), (0.47 + j * 0.012, 0.78)], shade(METAL, 0.8), 0.006)
        cc.ellipse(0.16, 0.16, 0.84, 0.26, shade(METAL, 0.9))
        cc.rect(0.8, 0.18, 0.92, 0.22, INK)
        return
    layers = 3 + round(look.rank("count") * 5)
    for j in range(layers):
        y = 0.84 - j * 0.035
        if f == 0:
            c.poly([(0.22, y - 0.4), (0.78, y - 0.4), (0.58, y), (0.42, y)], paper,
                   edge=shade(paper, 0.75))
        else:
            c.ellipse(0.16, y - 0.2, 0.84, y, paper, edge=shade(paper, 0.75))
            for k in range(12):
                a = k * math.pi / 6
                c.line([(0.5 + 0.28 * math.cos(a), y - 0.1 + 0.08 * math.sin(a)),
                        (0.5 + 0.34 * math.cos(a), y - 0.1 + 0.1 * math.sin(a))],
                       shade(paper, 0.8), 0.005)
    mark(c, 0.5, 0.84 - layers * 0.035 - (0.2 if f == 0 else 0.1), 0.035, look)


def tea(c: Canvas, look: Look) -> None:
    """A tea box (wider with more bags) with a bag's tag, or a round tin of loose leaf."""
    col = look.main
    if look.form == 0:
        w = 0.5 + 0.3 * look.rank("bags")
        x0 = 0.5 - w / 2
        front = box3d(c, x0, 0.3, x0 + w, 0.84, col, 0.08)
        label(c, front[0] + 0.05, 0.46, front[2] - 0.05, 0.76, look, mix(WHITE, col, 0.1))
        c.line([(front[2] - 0.06, 0.4), (front[2] + 0.02, 0.26), (front[2] + 0.06, 0.16)],
               (240, 240, 240), 0.006)
        c.rect(front[2] + 0.02, 0.1, front[2] + 0.1, 0.18, WHITE, r=0.01)
    else:
        s = look.size("grams", 0.82, 1.0)
        cc = c.at(0.5 - s / 2, 0.94 - s * 0.94, s)
        cylinder(cc, 0.28, 0.2, 0.72, 0.88, col, top=METAL)
        label(cc, 0.32, 0.42, 0.68, 0.74, look, mix(WHITE, col, 0.1))
        cc.poly([(0.74, 0.86), (0.82, 0.78), (0.9, 0.86), (0.82, 0.9)], (90, 130, 60))


def snacks(c: Canvas, look: Look) -> None:
    """Trail mix pouch with a window, or 12 bars / 6-12 bags of chips / chocolate bars."""
    f = look.form
    if f == 0:
        s = look.size("oz", 0.85, 1.0)
        cc = c.at(0.5 - s / 2, 0.94 - s * 0.94, s)
        pouch(cc, 0.22, 0.1, 0.78, 0.9, look.main)
        cc.ellipse(0.32, 0.46, 0.68, 0.82, (230, 222, 204))
        for k in range(9):
            cc.circle(0.4 + (k % 3) * 0.1, 0.56 + (k // 3) * 0.08, 0.025,
                      ((150, 96, 50), (196, 150, 80), (110, 50, 40))[k % 3], edge=None)
        mark(cc, 0.5, 0.3, 0.05, look, WHITE)
        return
    n = 12 if f == 1 else look.count

    def bar(cc: Canvas) -> None:
        cc.rect(0.1, 0.3, 0.9, 0.7, look.main, r=0.06)
        cc.rect(0.1, 0.3, 0.2, 0.7, shade(look.main, 0.8), r=0.03)
        mark(cc, 0.55, 0.5, 0.08, look, WHITE)

    def chips(cc: Canvas) -> None:
        cc.poly([(0.22, 0.1), (0.78, 0.1), (0.84, 0.5), (0.78, 0.9), (0.22, 0.9), (0.16, 0.5)],
                look.main)
        cc.ellipse(0.32, 0.36, 0.68, 0.64, (246, 212, 110))
        mark(cc, 0.5, 0.22, 0.06, look, WHITE)

    each(c, n, chips if f == 2 else bar, overlap=0.3 if f == 2 else 0.18)


# --------------------------------------------------------------------- Pet Supplies
def _kibble_bag(c: Canvas, look: Look, cat: bool) -> None:
    s = look.size("lb", 0.72, 1.0)
    cc = c.at(0.5 - s / 2, 0.94 - s * 0.94, s)
    bag = look.main
    if cat:
        cc.rect(0.22, 0.12, 0.78, 0.9, bag, r=0.12)
    else:
        pouch(cc, 0.2, 0.1, 0.8, 0.9, bag)
    cc.rect(0.26, 0.56, 0.74, 0.84, mix(bag, WHITE, 0.7), r=0.04)
    cc.circle(0.5, 0.4, 0.1, mix(bag, WHITE, 0.6))  # the animal's portrait
    if cat:
        cc.poly([(0.42, 0.34), (0.44, 0.24), (0.48, 0.32)], shade(bag, 0.6))
        cc.poly([(0.58, 0.34), (0.56, 0.24), (0.52, 0.32)], shade(bag, 0.6))
    else:
        cc.ellipse(0.38, 0.32, 0.44, 0.46, shade(bag, 0.6))
        cc.ellipse(0.56, 0.32, 0.62, 0.46, shade(bag, 0.6))
    for k in range(5):
        cc.circle(0.36 + k * 0.07, 0.74, 0.025, (150, 96, 50), edge=None)
    mark(cc, 0.5, 0.62, 0.035, look)


def _cans(c: Canvas, look: Look, n: int, flat: bool) -> None:
    def can(cc: Canvas) -> None:
        top = 0.45 if flat else 0.15
        cylinder(cc, 0.14, top, 0.86, 0.9, METAL, e=0.3)
        cc.rect(0.14, top + 0.2, 0.86, 0.8, look.main, edge=None)
        mark(cc, 0.5, (top + 0.2 + 0.8) / 2, 0.1, look, WHITE)
    each(c, n, can, overlap=0.12)


def dog_food(c: Canvas, look: Look) -> None:
    """A kibble sack (larger by weight) or 12 cans."""
    if look.form == 0:
        _kibble_bag(c, look, cat=False)
    else:
        _cans(c, look, 12, flat=False)


def cat_food(c: Canvas, look: Look) -> None:
    """A rounder bag with a cat's ears (larger by weight) or 24 flat cans."""
    if look.form == 0:
        _kibble_bag(c, look, cat=True)
    else:
        _cans(c, look, 24, flat=True)


def cat_litter(c: Canvas, look: Look) -> None:
    """A litter tub with a handle (larger by weight), or a bag of pine pellets."""
    s = look.size("lb", 0.76, 1.0)
    cc = c.at(0.5 - s / 2, 0.94 - s * 0.94, s)
    col = look.main
    if look.form == 2:
        pouch(cc, 0.22, 0.12, 0.78, 0.9, KRAFT)
        for k in range(8):
            cc.rect(0.32 + (k % 4) * 0.1, 0.6 + (k // 4) * 0.1, 0.38 + (k % 4) * 0.1,
                    0.64 + (k // 4) * 0.1, (150, 110, 60), r=0.01, edge=None)
        mark(cc, 0.5, 0.36, 0.06, look)
        return
    cc.arc(0.34, 0.1, 0.66, 0.38, 180, 360, shade(col, 0.7), 0.04)
    cc.rect(0.18, 0.24, 0.82, 0.9, col, r=0.06)
    cc.rect(0.18, 0.24, 0.82, 0.32, shade(col, 0.8), r=0.04)
    label(cc, 0.26, 0.42, 0.74, 0.82, look, WHITE if look.form == 0 else (220, 236, 250))


def pet_toys(c: Canvas, look: Look) -> None:
    """Rope tug, plush animal, feather wand, catnip mice (2-6), chew ball, puzzle disc."""
    f, m = look.form, look.main
    s = look.size("size", 0.72, 1.0)
    cc = c.at(0.5 - s / 2, 0.5 - s / 2, s)
    if f == 0:
        for j in range(3):
            col = ((220, 60, 50), (240, 240, 230), (60, 110, 200))[j]
            cc.line([(0.2, 0.7 - j * 0.03), (0.5, 0.45 - j * 0.03), (0.8, 0.3 - j * 0.03)], col,
                    0.045)
        for u, v in ((0.18, 0.72), (0.82, 0.28)):
            cc.circle(u, v, 0.09, (236, 226, 200))
    elif f == 1:
        animal = look.main
        cc.ellipse(0.24, 0.46, 0.76, 0.9, animal)
        cc.circle(0.5, 0.38, 0.2, animal)
        k = max(look.index.get("animal", 0), 0)
        ears = [((0.34, 0.26), (0.38, 0.08), (0.46, 0.22)), ((0.66, 0.26), (0.62, 0.08),
                                                             (0.54, 0.22))]
        if k == 2:  # duck: a beak
            cc.poly([(0.42, 0.44), (0.58, 0.44), (0.5, 0.52)], (250, 170, 40))
        elif k == 1:  # hedgehog: spines
            for j in range(7):
                a = math.pi * (1 + j / 6)
                cc.line([(0.5 + 0.2 * math.cos(a), 0.38 + 0.2 * math.sin(a)),
                         (0.5 + 0.28 * math.cos(a), 0.38 + 0.28 * math.sin(a))],
                        shade(animal, 0.6), 0.03)
        else:
            for e in ears:
                cc.poly(list(e), animal)
        if k == 3:  # raccoon: a mask
            cc.rect(0.36, 0.32, 0.64, 0.4, INK, r=0.04)
        for u in (0.43, 0.57):
            cc.circle(u, 0.36, 0.025, WHITE if k == 3 else INK, edge=None)
    elif f == 2:
        c.line([(0.2, 0.86), (0.62, 0.34)], (200, 160, 110), 0.025)
        c.line([(0.62, 0.34), (0.7, 0.28)], (180, 180, 180), 0.006)
        for j, col in enumerate(look.colours[:6] * (1 if len(look.colours) > 2 else 3)):
            a = -math.pi / 2 + (j - 2) * 0.35
            c.ellipse(0.7 + 0.12 * math.cos(a) - 0.05, 0.24 + 0.12 * math.sin(a) - 0.1,
                      0.7 + 0.12 * math.cos(a) + 0.05, 0.24 + 0.12 * math.sin(a) + 0.1, col)
    elif f == 3:
        def mouse(m2: Canvas) -> None:
            m2.ellipse(0.2, 0.35, 0.8, 0.75, (150, 150, 156))
            m2.circle(0.3, 0.38, 0.08, (190, 150, 150))
            m2.line([(0.8, 0.6), (0.92, 0.75), (0.96, 0.9)], INK, 0.02)
            m2.circle(0.26, 0.5, 0.02, INK, edge=None)
        each(c, look.count, mouse)
    elif f == 4:
        cc.circle(0.5, 0.52, 0.34, m)
        cc.arc(0.16, 0.3, 0.84, 0.74, 200, 340, shade(m, 0.65), 0.03)
        cc.arc(0.16, 0.3, 0.84, 0.74, 20, 160, shade(m, 0.65), 0.03)
    else:
        cc.ellipse(0.1, 0.3, 0.9, 0.84, m)
        cc.ellipse(0.16, 0.3, 0.84, 0.74, shade(m, 1.15))
        for k in range(6):
            a = k * math.pi / 3
            cc.circle(0.5 + 0.22 * math.cos(a), 0.52 + 0.12 * math.sin(a), 0.05, shade(m, 0.6))


def pet_beds(c: Canvas, look: Look) -> None:
    """Bolster or donut beds (larger by size), a soft carrier, a cat tree (taller by height)."""
    f, m = look.form, look.main
    if f == 3:
        s = look.size("height", 0.78, 1.0)
        cc = c.at(0.5 - s / 2, 0.96 - s, s)
        for x in (0.3, 0.62):
            cc.rect(x, 0.2, x + 0.08, 0.9, (214, 190, 150), edge=(150, 120, 80))
        for y, x0, x1 in ((0.2, 0.2, 0.8), (0.48, 0.14, 0.56), (0.66, 0.5, 0.9)):
            cc.rect(x0, y - 0.05, x1, y + 0.02, (150, 150, 156), r=0.02)
        cc.rect(0.12, 0.88, 0.88, 0.95, (150, 150, 156), r=0.02)
        return
    if f == 2:
        c.arc(0.3, 0.12, 0.7, 0.46, 180, 360, shade(m, 0.6), 0.03)
        c.rect(0.12, 0.3, 0.88, 0.84, m, r=0.08)
        c.rect(0.2, 0.38, 0.5, 0.76, (60, 62, 66, 200), r=0.04)
        for j in range(5):
            c.line([(0.2 + j * 0.06, 0.38), (0.2 + j * 0.06, 0.76)], (30, 30, 34, 200), 0.004)
        mark(c, 0.68, 0.56, 0.05, look)
        return
    s = look.size("size", 0.7, 1.0)
    cc = c.at(0.5 - s / 2, 0.94 - s * 0.9, s)
    if f == 0:
        cc.rect(0.06, 0.4, 0.94, 0.86, m, r=0.12)
        cc.rect(0.16, 0.48, 0.84, 0.78, shade(m, 1.2), r=0.06)
        cc.rect(0.06, 0.78, 0.94, 0.86, shade(m, 0.75), r=0.04)
    else:
        cc.ellipse(0.04, 0.34, 0.96, 0.9, m)
        cc.ellipse(0.22, 0.46, 0.78, 0.74, shade(m, 1.25))
        for k in range(10):
            a = k * math.pi / 5
            cc.line([(0.5 + 0.3 * math.cos(a), 0.62 + 0.16 * math.sin(a)),
                     (0.5 + 0.44 * math.cos(a), 0.62 + 0.26 * math.sin(a))], shade(m, 0.85),
                    0.01)


DRAWINGS: dict[str, Draw] = {
    "Espresso Machines": espresso_machines,
    "Espresso Supplies": espresso_supplies,
    "Coffee Gear": coffee_gear,
    "Cookware": cookware,
    "Small Appliances": small_appliances,
    "Drinkware": drinkware,
    "Coffee Beans": coffee_beans,
    "Coffee Filters": coffee_filters,
    "Tea": tea,
    "Snacks": snacks,
    "Dog Food": dog_food,
    "Cat Food": cat_food,
    "Cat Litter": cat_litter,
    "Pet Toys": pet_toys,
    "Pet Beds & Carriers": pet_beds,
}
