#!/usr/bin/env python3
"""Writes N synthetic project formulations as JSONL, one per line, for `vereda evaluate --batch`.

Each project is the cocoa worked example (examples/cacao-tumaco.json) with its text sections
shortened and its figures drawn at random around the example's: 5-40 families, 1-4 ha each,
yields, prices and costs of +-35 %, budget year 2013 or 2014, sometimes a third funder. About
one line in a hundred is broken on purpose (a land line, an empty title, a truncated line), so
the batch also exercises its error path. Standard library only; the same seed gives the same
file.

    python3 bench/evaluate/generate_projects.py --count 100000 --out projects.jsonl
"""

import argparse
import copy
import json
import pathlib
import random

HERE = pathlib.Path(__file__).resolve().parent
EXAMPLE = HERE.parent.parent / "examples" / "cacao-tumaco.json"


def shorten(value):
    """Every text becomes a short one: the schema is the same, the lines are smaller."""
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten(v) for v in value]
    if isinstance(value, str):
        return value[:24]
    return value


def money(x):
    return str(int(round(x)))


def project(base, rng, index):
    p = copy.deepcopy(base)
    frame = p["frame"]
    frame["code"] = f"GEN-{index:06d}"
    frame["budget_year"] = rng.choice([2013, 2013, 2014])
    families = rng.randint(5, 40)
    ha_per_family = rng.choice([1, 2, 2, 3, 3, 4])
    hectares = families * ha_per_family
    frame["households"] = [
        {
            "id": f"G{index}-{i}",
            "max_pct": str(rng.choice([90, 90, 80, 60])),
            "cap_smmlv": str(24 if rng.random() < 0.25 else 20),
        }
        for i in range(families)
    ]
    scale = hectares / 60.0
    for line in p["budget"]:
        quantity = float(line["quantity"])
        if line["category"] in ("materials_and_supplies", "personal_services") or line["unit"] in ("ha", "kit"):
            line["quantity"] = money(max(1, quantity * scale))
        line["unit_price"] = money(float(line["unit_price"]) * rng.uniform(0.8, 1.2))
    if rng.random() < 0.3:
        p["budget"].append(
            {
                "category": "physical_infrastructure",
                "funder": {"other": "Gobernación"},
                "description": "Vía de acceso",
                "quantity": "1",
                "unit": "obra",
                "unit_price": money(rng.uniform(5e6, 4e7)),
                "year": 0,
            }
        )
    price = rng.uniform(0.65, 1.35)
    yields = rng.uniform(0.65, 1.35)
    costs = rng.uniform(0.65, 1.35)
    for activity in p["production"]:
        activity["residual_value"] = money(float(activity.get("residual_value", "0")) * scale * rng.uniform(0.5, 1.5))
        for year in activity["years"]:
            year["units"] = str(hectares)
            year["yield_per_unit"] = money(float(year["yield_per_unit"]) * yields)
            year["price"] = money(float(year["price"]) * price)
            for key in ("operating_costs", "replacements"):
                if key in year:
                    year[key] = money(float(year[key]) * scale * costs)
            for key in ("hired_labour_days", "family_labour_days"):
                if key in year:
                    year[key] = money(float(year[key]) * scale)
    for ta in p["technical_assistance"]:
        ta["cost"] = money(float(ta["cost"]) * max(scale, 0.2))
    return p


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=308)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    base = shorten(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    with open(args.out, "w", encoding="utf-8") as out:
        for index in range(args.count):
            p = project(base, rng, index)
            broken = rng.random()
            if broken < 0.004:
                p["budget"].append(
                    {"category": "land", "funder": "counterpart", "description": "Tierra",
                     "quantity": "1", "unit_price": "10000000", "year": 0}
                )
            elif broken < 0.008:
                p["frame"]["title"] = ""
            line = json.dumps(p, ensure_ascii=False, separators=(",", ":"))
            if 0.008 <= broken < 0.01:
                line = line[: len(line) // 2]
            out.write(line)
            out.write("\n")


if __name__ == "__main__":
    main()
