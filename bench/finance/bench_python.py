#!/usr/bin/env python3
"""Times pyxirr and numpy-financial IRR on the same conventional 11-year flows.

Writes the flows (little-endian f64, one row per flow) and both libraries' IRRs (NaN where
none) into --out-dir, for `finance_bench irr` to time ours on the same flows and compare.
Prints key=value lines: the median of --runs runs of each.

    python3 bench_python.py --count 1000000 --years 11 --out-dir /tmp/bench
"""

import argparse
import os
import statistics
import time

import numpy as np
import numpy_financial as npf
import pyxirr


def flows_for(count: int, years: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    investment = rng.uniform(1e6, 1e9, count)
    flows = np.empty((count, years))
    flows[:, 0] = -investment
    # Benefits of 5-35 % of the investment a year: IRRs from about -10 % to 35 %.
    flows[:, 1:] = investment[:, None] * rng.uniform(0.05, 0.35, (count, years - 1))
    return flows


def timed(function, runs: int) -> tuple[float, list[float]]:
    seconds, result = [], []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=11)
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--npf-limit", type=int, default=0, help="time numpy-financial on the first N flows only")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()

    flows = flows_for(args.count, args.years, args.seed)
    flows.astype("<f8").tofile(os.path.join(args.out_dir, "flows.f64"))
    print(f"flows={args.count}")
    print(f"years={args.years}")

    # Each library gets its natural input, built outside the timing: lists for pyxirr, array
    # rows for numpy-financial.
    as_lists = flows.tolist()
    seconds, rates = timed(lambda: [pyxirr.irr(row, silent=True) for row in as_lists], args.runs)
    print(f"pyxirr_seconds={seconds:.4f}")
    print(f"pyxirr_ns_per_flow={seconds * 1e9 / args.count:.1f}")
    np.array([np.nan if r is None else r for r in rates], dtype="<f8").tofile(
        os.path.join(args.out_dir, "pyxirr.f64")
    )

    limit = args.npf_limit or args.count
    rows = list(flows[:limit])
    seconds, rates = timed(lambda: [npf.irr(row) for row in rows], args.runs)
    print(f"npf_flows={limit}")
    print(f"npf_seconds={seconds:.4f}")
    print(f"npf_ns_per_flow={seconds * 1e9 / limit:.1f}")
    reference = np.full(args.count, np.nan)
    reference[:limit] = rates
    reference.astype("<f8").tofile(os.path.join(args.out_dir, "numpy_financial.f64"))


if __name__ == "__main__":
    main()
