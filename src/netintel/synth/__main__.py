"""``python -m netintel.synth --out DIR --seed N [--scale X]``: write a generated case to a folder."""

from __future__ import annotations

import argparse
import sys
import time

from .case import generate_case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netintel.synth",
                                     description="Write a fictional multi-agency case (partners' files + truth/).")
    parser.add_argument("--out", required=True, help="folder to write (created if missing)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (the committed sample uses 7)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = the sample; the groups repeat round(scale) times and the background grows")
    parser.add_argument("--no-switches", action="store_true", help="plant no handset switches")
    parser.add_argument("--no-malformed", action="store_true", help="corrupt no records")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    case = generate_case(seed=args.seed, scale=args.scale, switches=not args.no_switches,
                         malformed=not args.no_malformed)
    paths = case.write(args.out)
    counts = case.info["counts"]
    print(f"wrote {len(paths)} files to {args.out}: {counts['persons']} people, {counts['communities']} communities, "
          f"{counts['entity_records']} entity records, {counts['calls']} calls, {counts['transfers']} transfers, "
          f"{counts['malformed']} malformed records ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
