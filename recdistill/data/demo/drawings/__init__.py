"""The drawn product pictures of the demo shop: one drawing per leaf category.

Each drawing (a :data:`~recdistill.data.demo.drawings.canvas.Draw`) paints one
item on a :class:`~recdistill.data.demo.drawings.canvas.Canvas` from its
:class:`~recdistill.data.demo.drawings.canvas.Look`. ``look.form`` (the item's
title format within its leaf) picks the product type, and the rest of the look
(colour, pack count, size rank, brand mark) changes the details. Items of a leaf
share a silhouette family: phone accessories are drawn around a phone-shaped
slab, watch accessories around a band, pet food as sacks and cans, and so on.

Modules: :mod:`~.canvas` (primitives, :class:`Look`), :mod:`~.tech` (Phones &
Wearables, Computers & Office, Electronics), :mod:`~.kitchen` (Kitchen & Dining,
Grocery, Pet Supplies), :mod:`~.home` (the other departments). The pictures are
written by :mod:`recdistill.data.demo.images`.
"""

from __future__ import annotations

from recdistill.data.demo.drawings import home, kitchen, tech
from recdistill.data.demo.drawings.canvas import Canvas, Draw, Look

__all__ = ["DRAWINGS", "Canvas", "Draw", "Look"]

#: leaf name -> its drawing, for every leaf of the demo vocabulary
DRAWINGS: dict[str, Draw] = {**tech.DRAWINGS, **kitchen.DRAWINGS, **home.DRAWINGS}
