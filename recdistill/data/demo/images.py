"""Product pictures for the demo shop: one drawn PNG per catalogue item.

Each picture is a simple rendering of the product on a light background with a
soft drop shadow, made so that a pretrained image CNN has something real to see:

- the leaf category decides the silhouette family (a phone is a rounded slab
  with a screen and camera lenses, a laptop a screen over a keyboard base, dog
  food a kibble sack...), and the item's product type within the leaf (its
  title format) the variation (a case, a screen protector, a charging stand);
- the colour attribute (``colour``, ``finish``, ``leather``, ``metal``,
  ``notecol``, ``ink``) decides the fill, through :data:`COLOURS`; items without
  one get a colour from their leaf's palette (:data:`DEFAULT_COLOURS`), picked
  by an attribute (the roast, the tea) or else by the brand;
- pack sizes draw that many objects, size-like attributes (size, ml, oz, lb,
  storage...) scale the object or change details, by the value's position on
  its axis;
- the brand picks a logo glyph, an accent colour and a stripe pattern from a
  SHA-256 of its name (not Python's salted ``hash``), so a brand looks the same
  everywhere.

Same catalogue, same size: identical bytes. About 4 ms per 224 px picture on
one core (3,200 in about 14 s), about 6 KiB each. The drawings are in
:mod:`recdistill.data.demo.drawings`.

Example::

    cat = build_catalogue(np.random.Generator(np.random.PCG64(0)), 300)
    names = render_images(cat, "shop/images")        # ["P00000.png", ...]
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageFilter

from recdistill.data.demo.catalogue import Catalogue
from recdistill.data.demo.drawings import DRAWINGS
from recdistill.data.demo.drawings.canvas import ACCENTS, RGB, Canvas, Look, box3d, label

__all__ = ["BACKGROUND", "COLOURS", "COLOUR_AXES", "DEFAULT_COLOURS", "colours_of",
           "default_names", "look_of", "render_image", "render_images"]

BACKGROUND: RGB = (236, 237, 240)
SHADOW: RGB = (70, 72, 82)
SUPERSAMPLE = 2  # drawn at twice the size, then averaged down (anti-aliasing)

#: the attributes that name an item's colour, in the order they are looked for
COLOUR_AXES: tuple[str, ...] = ("colour", "finish", "leather", "metal", "notecol", "ink")

#: RGB per English colour name of the vocabulary; multi-colour names (assorted,
#: rainbow) list several. Two-tone names ("Black/White") resolve part by part.
COLOURS: dict[str, tuple[RGB, ...]] = {
    "Black": ((30, 30, 32),), "White": ((250, 250, 248),), "Grey": ((140, 142, 146),),
    "Navy": ((30, 42, 90),), "Red": ((204, 30, 40),), "Green": ((40, 140, 60),),
    "Beige": ((222, 203, 168),), "Blue": ((40, 90, 200),),
    "Midnight Blue": ((25, 32, 74),), "Graphite": ((70, 72, 78),), "Silver": ((196, 199, 204),),
    "Coral Red": ((240, 90, 80),), "Forest Green": ((34, 92, 50),),
    "Starlight White": ((244, 240, 226),), "Lavender": ((180, 160, 222),),
    "Sunset Orange": ((245, 120, 50),), "Clear": ((214, 228, 236),),
    "Navy Blue": ((30, 45, 104),), "Olive Green": ((110, 122, 50),),
    "Blush Pink": ((240, 180, 186),), "Sky Blue": ((120, 186, 236),),
    "Sand": ((215, 190, 145),), "Olive": ((120, 120, 55),), "Charcoal": ((55, 57, 62),),
    "Slate Blue": ((90, 110, 152),), "Rust": ((172, 76, 36),), "Stone Grey": ((150, 146, 138),),
    "Brown": ((112, 70, 40),), "Tan": ((196, 150, 100),), "Rose Gold": ((226, 166, 146),),
    "Midnight": ((28, 32, 52),), "Coral": ((248, 120, 100),), "Sea Blue": ((30, 120, 172),),
    "Lime": ((160, 212, 50),), "Gold": ((212, 175, 55),), "Sage Green": ((150, 172, 130),),
    "Space Grey": ((96, 98, 104),), "Lilac": ((200, 166, 216),), "Khaki": ((190, 176, 126),),
    "Cobalt Blue": ((0, 72, 172),), "Volcanic Red": ((170, 26, 26),),
    "Stainless Steel": ((182, 186, 190),), "Matte Black": ((46, 46, 46),),
    "Cream": ((240, 228, 200),), "Sage": ((160, 178, 140),), "Terracotta": ((202, 106, 70),),
    "Ocean Blue": ((30, 100, 162),), "Mocha": ((122, 86, 66),), "Slate": ((100, 110, 126),),
    "Blush": ((236, 186, 180),), "Brass": ((190, 150, 70),), "Matte Green": ((70, 110, 80),),
    "Walnut": ((110, 76, 50),), "Orange": ((246, 136, 30),), "Pink": ((240, 140, 176),),
    "Mint": ((160, 226, 200),), "Purple": ((120, 60, 162),), "Teal": ((0, 130, 132),),
    "Fluorescent Yellow": ((222, 246, 40),), "Yellow": ((250, 216, 50),),
    "All Black": ((24, 24, 24),),
    "Pastel": ((250, 200, 212), (200, 228, 250), (210, 244, 200), (255, 240, 180)),
    "Neon": ((255, 80, 160), (80, 250, 120), (255, 232, 40), (255, 140, 40)),
    "Assorted Colours": ((30, 30, 32), (40, 90, 200), (204, 30, 40), (40, 140, 60)),
    "Assorted": ((30, 30, 32), (140, 142, 146), (250, 250, 248), (30, 42, 90)),
    "Rainbow": ((228, 40, 40), (246, 140, 30), (250, 216, 50), (50, 170, 70), (40, 100, 210),
                (130, 60, 170)),
}

_BRIGHT = ((214, 60, 60), (40, 110, 200), (246, 170, 40), (60, 150, 90), (130, 70, 170),
           (0, 150, 160), (236, 110, 140), (90, 90, 100))
_PASTEL = ((246, 214, 220), (214, 232, 246), (222, 240, 214), (250, 236, 200), (230, 220, 246))

#: per leaf without a colour on every item: (attributes that pick, palette). The
#: first attribute the item has picks by its value's position on the axis; with
#: none, the brand picks.
DEFAULT_COLOURS: dict[str, tuple[tuple[str, ...], tuple[RGB, ...]]] = {
    "Phone Accessories": ((), ((40, 40, 44), (60, 64, 72))),
    "Watch Accessories": ((), ((236, 236, 236), (40, 40, 44))),
    "Cameras": ((), ((36, 36, 40), (48, 50, 56))),
    "Video Games": (("game",), (*_BRIGHT, (30, 60, 120), (170, 40, 40), (40, 120, 60),
                                (200, 140, 20))),
    "Cables & Chargers": ((), ((40, 40, 44),)),
    "Espresso Supplies": (("roast",), ((70, 40, 96), (150, 92, 40), (200, 60, 50),
                                       (40, 110, 160))),
    "Cookware": ((), ((40, 40, 42),)),
    "Drinkware": ((), ((214, 228, 236),)),
    "Coffee Beans": (("roast",), ((200, 160, 110), (120, 72, 40), (44, 32, 28))),
    "Tea": (("tea",), ((150, 30, 40), (60, 60, 120), (90, 150, 80), (240, 200, 60),
                       (60, 170, 140), (130, 170, 60), (190, 90, 50), (200, 120, 40))),
    "Snacks": (("mix", "flavour", "choc"), _BRIGHT),
    "Dog Food": (("protein",), ((210, 150, 40), (60, 120, 70), (220, 110, 90), (150, 50, 40),
                                (60, 100, 170))),
    "Cat Food": (("protein",), ((230, 160, 50), (240, 130, 110), (60, 110, 180),
                                (150, 70, 130), (30, 140, 150))),
    "Cat Litter": (("scent",), ((70, 120, 200), (90, 170, 100), (150, 110, 200))),
    "Pet Toys": (("animal",), ((232, 122, 40), (150, 112, 80), (250, 220, 60),
                               (140, 140, 146))),
    "Pet Beds & Carriers": ((), ((150, 150, 156),)),
    "Bedding": ((), ((250, 250, 250),)),
    "Lighting": ((), ((236, 226, 204),)),
    "Home Decor": ((), ((236, 228, 206),)),
    "Garden Tools": ((), ((70, 150, 70),)),
    "Hair Care": (("hair",), ((196, 140, 60), (226, 120, 160), (60, 150, 120), (140, 90, 170),
                              (60, 120, 200))),
    "Skin Care": (("skin",), _PASTEL),
    "Yoga & Fitness": ((), ((198, 156, 108),)),
    "Camping": ((), ((236, 130, 40),)),
    "Cycling": ((), ((34, 34, 38),)),
    "Building Sets": (("theme",), _BRIGHT),
    "Puzzles & Games": (("scene", "game"), _BRIGHT[:6]),
}
_NEUTRAL: tuple[tuple[str, ...], tuple[RGB, ...]] = ((), ((150, 152, 158),))


def colours_of(name: str) -> tuple[RGB, ...] | None:
    """The RGB colours of an English colour name ("Navy", "Black/White"); None if unknown."""
    if name in COLOURS:
        return COLOURS[name]
    parts = [COLOURS.get(p.strip()) for p in name.split("/")]
    if len(parts) > 1 and all(p is not None for p in parts):
        return tuple(p[0] for p in parts if p is not None)
    return None


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _far(a: RGB, b: RGB) -> bool:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) > 150


def look_of(catalogue: Catalogue, item: int,
            colour_names: Mapping[str, str] | None = None) -> Look:
    """What item ``item``'s attributes say about its picture (see the module docstring).

    ``colour_names`` maps colour values of another language to the English
    names of :data:`COLOURS`; values it does not map are looked up as they are.
    """
    leaf = catalogue.leaves[int(catalogue.leaf[item])]
    attrs = catalogue.attrs[item]
    index = {k: leaf.axes[k].index(v) if v in leaf.axes.get(k, ()) else -1
             for k, v in attrs.items()}
    span = {k: len(leaf.axes.get(k, ())) for k in attrs}
    brand = _digest(attrs.get("brand", ""))
    colours: tuple[RGB, ...] | None = None
    clear = False
    for key in COLOUR_AXES:
        if key in attrs:
            name = attrs[key]
            name = colour_names.get(name, name) if colour_names else name
            colours = colours_of(name)
            clear = name == "Clear"
            if colours is not None:
                break
    if colours is None:
        keys, palette = DEFAULT_COLOURS.get(leaf.name, _NEUTRAL)
        pick = next((index[k] for k in keys if index.get(k, -1) >= 0), brand[3])
        colours = (palette[pick % len(palette)],)
    accent = ACCENTS[brand[1] % len(ACCENTS)]
    for j in range(len(ACCENTS)):  # the first accent, in brand order, that stands out
        accent = ACCENTS[(brand[1] + j) % len(ACCENTS)]
        if _far(accent, colours[0]):
            break
    count = 1
    if "pack" in attrs:
        count = max(1, Look(colours, attrs=attrs).num("pack"))
    return Look(colours=colours, clear=clear, count=count, form=int(catalogue.form[item]),
                index=index, span=span, attrs=attrs, mark=brand[0] % 8, accent=accent,
                stripes=brand[2] % 4)


def _fallback(c: Canvas, look: Look) -> None:
    """A labelled box, for a leaf without a drawing of its own."""
    front = box3d(c, 0.16, 0.2, 0.84, 0.86, look.main, 0.1)
    label(c, front[0] + 0.1, front[1] + 0.12, front[2] - 0.1, front[3] - 0.12, look)


def render_image(catalogue: Catalogue, item: int, *, size: int = 224,
                 colour_names: Mapping[str, str] | None = None) -> Image.Image:
    """The picture of item ``item``: an RGB ``size`` x ``size`` image."""
    leaf = catalogue.leaves[int(catalogue.leaf[item])]
    look = look_of(catalogue, item, colour_names)
    canvas = Canvas.new(size * SUPERSAMPLE, BACKGROUND)
    DRAWINGS.get(leaf.name, _fallback)(canvas, look)
    layer = canvas.image().reduce(SUPERSAMPLE)
    alpha = layer.getchannel("A")
    # the drop shadow: the silhouette blurred at a quarter of the size (cheaper), scaled back
    small = alpha.reduce(4) if size >= 64 else alpha
    shadow = small.filter(ImageFilter.GaussianBlur(small.width / 45)).point(_SHADOW_LUT)
    shadow = shadow.resize((size, size), Image.Resampling.BILINEAR)
    out = Image.new("RGB", (size, size), BACKGROUND)
    out.paste(SHADOW, (round(size * 0.015), round(size * 0.03)), shadow)
    out.paste(layer, (0, 0), alpha)
    return out


_SHADOW_LUT = [round(v * 0.32) for v in range(256)]


def default_names(n_items: int) -> list[str]:
    """``P00000.png``...: the demo's item ids (``P`` and at least five digits) plus ``.png``."""
    width = max(5, len(str(n_items - 1)))
    return [f"P{i:0{width}d}.png" for i in range(n_items)]


def render_images(catalogue: Catalogue, folder: Path | str, names: Sequence[str] | None = None,
                  *, size: int = 224, colour_names: Mapping[str, str] | None = None,
                  progress: bool = False) -> list[str]:
    """Write one PNG per item into ``folder`` (created if needed); returns the file names.

    ``names``: the file names, relative to ``folder``, in item order (subfolders
    are created; absolute paths and ``..`` are refused); default
    :func:`default_names`. ``size``: the pictures' side in pixels.
    ``colour_names``: see :func:`look_of`. ``progress``: a bar in images/s with
    ETA. Returns ``names`` as a list, so ``folder / names[i]`` is item ``i``'s picture.
    """
    from recdistill.progress import track
    n = catalogue.n_items
    out = list(names) if names is not None else default_names(n)
    if len(out) != n:
        raise ValueError(f"render_images: {len(out)} names for {n} items")
    if size < 16:
        raise ValueError(f"render_images: size must be at least 16, got {size}")
    root = Path(folder)
    for name in out:
        p = Path(name)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            raise ValueError(f"render_images: file name {name!r} is not inside the folder")
    for parent in sorted({(root / name).parent for name in out}):
        parent.mkdir(parents=True, exist_ok=True)
    for i, name in track(enumerate(out), "drawing product images", n, enabled=progress):
        path = root / name
        render_image(catalogue, i, size=size, colour_names=colour_names).save(
            path, format="PNG", optimize=False)
    return out
