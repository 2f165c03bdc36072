#!/usr/bin/env python3
"""Random conventional cash flows with numpy-financial's IRR and NPV, for the Rust side to check.

A conventional flow has one sign change: one or two years of investment, then benefits (some
years may be zero). Each CSV row: id, rate, npv (numpy_financial.npv at that rate), irr
(numpy_financial.irr), flows (space-separated; Python's repr, which Rust parses back to the
same f64). Amounts span one peso to 10^12.

    python3 accuracy.py --count 10000 --seed 308 --out accuracy.csv
"""

import argparse
import csv

import numpy as np
import numpy_financial as npf


def conventional_flow(rng: np.random.Generator, max_years: int) -> list[float]:
    years = int(rng.integers(1, max_years + 1))
    investment = 10.0 ** rng.uniform(0.0, 12.0) * rng.uniform(0.5, 1.5)
    flows = [-investment]
    if years > 1 and rng.uniform() < 0.3:
        flows.append(-investment * rng.uniform(0.0, 0.5))
    level = investment * rng.uniform(0.02, 0.6)
    while len(flows) < years + 1:
        flows.append(0.0 if rng.uniform() < 0.1 else level * rng.uniform(0.0, 1.5))
    if all(c <= 0 for c in flows[1:]):
        flows[-1] = level
    return flows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=308)
    parser.add_argument("--max-years", type=int, default=25)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    written = skipped = 0
    with open(args.out, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id", "rate", "npv", "irr", "flows"])
        while written < args.count:
            flows = conventional_flow(rng, args.max_years)
            irr = float(npf.irr(np.array(flows)))
            if not np.isfinite(irr):
                skipped += 1
                continue
            rate = float(rng.uniform(-0.5, 1.0))
            npv = float(npf.npv(rate, flows))
            writer.writerow([written, repr(rate), repr(npv), repr(irr), " ".join(repr(float(c)) for c in flows)])
            written += 1
    print(f"accuracy_written={written}")
    print(f"accuracy_skipped_no_irr={skipped}")


if __name__ == "__main__":
    main()
