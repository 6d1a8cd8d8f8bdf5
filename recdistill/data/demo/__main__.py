"""Print the measured statistics of the demo dataset.

Usage: ``python -m recdistill.data.demo [full|quick] [--seed N]``
"""

from __future__ import annotations

import argparse
import time

from recdistill.data.demo import DEMO_SIZES, LANGUAGES, sample_demo
from recdistill.data.demo.stats import summary


def main() -> None:
    """Generate one demo dataset, time it, and print its statistics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", default="full", choices=sorted(DEMO_SIZES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lang", default="en", choices=sorted(LANGUAGES))
    args = parser.parse_args()
    began = time.perf_counter()
    sizes = DEMO_SIZES[args.size]
    data = sample_demo(args.seed, sizes["n_users"], sizes["n_items"], args.lang)
    seconds = time.perf_counter() - began
    print(f"{data.source}: generated in {seconds:.2f} s")
    for key, value in summary(data).items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"  {key:32s} {shown}")


if __name__ == "__main__":
    main()
