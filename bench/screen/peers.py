#!/usr/bin/env python3
"""Peer implementations of `vereda screen` for the benchmark: DuckDB (SQL) and pandas.

Both read the households file and the five registries of docs/screening.md and write a
results.csv that must be byte-identical to the one `vereda screen --rules incoder-308-2013`
writes (general line and AREL line, no `--arel-max-pct`/`--arel-cap-smmlv`).

    python3 peers.py duckdb|pandas --households H \
        --registry ruv=F --registry prior_beneficiaries=F --registry public_servants=F \
        --registry sanctions=F --registry wanted=F --as-of 2013-06-01 --out OUT

Scope: the peers take the files as `vereda demo-data households` writes them: comma-separated
UTF-8 with the contract's column names in the contract's order, canonical enumeration values
and `true`/`false`. They do not validate (no bad-row reporting, no municipality check, no
header aliases, no XLSX): on a malformed file they stop with the engine's own error or give
undefined results. What they do implement is every rule, the matching key, the cut-offs and
the output format of the contract.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import os
import sys

KINDS = ("ruv", "prior_beneficiaries", "public_servants", "sanctions", "wanted")

HOUSEHOLD_COLUMNS = (
    "household_id",
    "document_type",
    "document",
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "head_of_household",
    "municipality_code",
    "sisben_area",
    "sisben_score",
    "displaced",
    "ethnic_group",
    "ethnic_community_registered",
    "land_tenure",
    "land_restrictions",
    "productive_activity",
    "environmental_restriction",
    "illicit_activity",
    "inaccurate_information",
    "program_line",
    "land_contract_end",
    "arel_population_group",
    "arel_group_document",
    "arel_call_year",
    "arel_call_score",
)

# What normalize_document (crates/domain/src/household.rs) removes: space, dot, comma, hyphen
# and every character Rust's char::is_whitespace accepts. Written as literal characters so the
# same class works in RE2 (DuckDB, Arrow) and Python's re.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
SEPARATORS = "[" + WHITESPACE + ".,-]"

# Sisbén III cut-offs (Art. 7): (lower exclusive, upper inclusive) per level, per area.
CUTOFFS = {
    "2": ((0, 30), (30, 40), (40, 50)),
    "3": ((0, 20), (20, 35), (35, 50)),
}
# Co-financing (Art. 7): the highest that applies of these, for an eligible household.
LEVEL_PCT = {1: 90, 2: 80, 3: 60}
DISPLACED_PCT = 90  # document in the RUV
ETHNIC_PCT = 90  # ethnic group other than none, community registered
# Cap per family in SMMLV (Art. 29).
CAP_DISPLACED = 24
CAP_OTHER = 20


def shift_years(day: dt.date, years: int) -> dt.date:
    """The same month and day `years` later (or earlier); 29 February becomes the 28th."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return day.replace(year=year)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=("duckdb", "pandas"))
    parser.add_argument("--households", required=True)
    parser.add_argument("--registry", action="append", default=[], metavar="KIND=FILE")
    parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    registries = {}
    for item in args.registry:
        kind, sep, path = item.partition("=")
        if not sep or kind not in KINDS:
            parser.error(f"--registry {item!r}: expected KIND=FILE with KIND one of {', '.join(KINDS)}")
        if kind in registries:
            parser.error(f"--registry {kind} given twice")
        registries[kind] = path
    missing = [k for k in KINDS if k not in registries]
    if missing:
        parser.error("missing --registry for " + ", ".join(missing))
    for path in [args.households, *registries.values()]:
        if not os.path.isfile(path):
            parser.error(f"no such file: {path}")
    args.registries = registries
    return args


def check_header(path: str) -> None:
    with open(path, encoding="utf-8-sig") as f:
        header = f.readline().rstrip("\r\n").split(",")
    if tuple(header) != HOUSEHOLD_COLUMNS:
        sys.exit(f"{path}: the peers read only the contract's columns in the contract's order; got {header}")


# The reason codes with the condition that fires each, over named boolean flags. The flags are
# computed by each engine; the codes are written in byte order.
RULES = {
    "ART9A_SISBEN": "general AND NOT in_level",
    "ART9B_LAND": "general AND (NOT owner OR restrictions)",
    "ART9C_RUV": "general AND displaced AND NOT in_ruv",
    "ART9D_SENTENCE": "general AND in_wanted",
    "ART9E_ACTIVITY": "general AND (no_activity OR environment)",
    "ART9F_ETHNIC": "general AND ethnic AND NOT registered",
    "ART10A_PRIOR": "in_prior",
    "ART10B_NOT_OWNER": "general AND NOT owner",
    "ART10C_PUBLIC_SERVANT": "in_servants",
    "ART10D_SANCTION": "in_sanctions",
    "ART10E_ILLICIT": "illicit",
    "ART10F_INACCURATE": "inaccurate",
    "ART10G_ENVIRONMENT": "environment",
    "ART40_1_SISBEN": "arel AND NOT in_level",
    "ART40_1_ADULT": "arel AND minor",
    "ART40_1_HEAD": "arel AND NOT head",
    "ART40_1_FISHER": "arel AND NOT fisher",
    "ART38_POPULATION": "arel AND (no_group OR NOT group_document)",
    "ART40_3_SENTENCE": "arel AND in_wanted",
    "DUPLICATE_DOCUMENT": "duplicate",
}
CODES = sorted(RULES, key=lambda code: code.encode())
OUT_COLUMNS = "household_id,eligible,sisben_level,cofinancing_max_pct,cap_smmlv,reasons"


# --------------------------------------------------------------------------------------------
# DuckDB


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def run_duckdb(args: argparse.Namespace) -> None:
    import duckdb

    adult_cutoff = shift_years(args.as_of, -18)  # born on or before: 18 or older
    contract_term = shift_years(args.as_of, 5)  # contract must end on or after

    con = duckdb.connect(config={"threads": args.threads, "preserve_insertion_order": True})
    con.execute(f"""
        CREATE MACRO norm_doc(cleaned) AS
            CASE WHEN cleaned = '' THEN '' ELSE coalesce(nullif(ltrim(cleaned, '0'), ''), '0') END;
        CREATE MACRO clean_doc(d) AS regexp_replace(upper(d), {sql_string(SEPARATORS)}, '', 'g');
    """)

    types = {c: "VARCHAR" for c in HOUSEHOLD_COLUMNS}
    for c in ("birth_date", "land_contract_end"):
        types[c] = "DATE"
    for c in (
        "head_of_household",
        "displaced",
        "ethnic_community_registered",
        "land_restrictions",
        "environmental_restriction",
        "illicit_activity",
        "inaccurate_information",
        "arel_group_document",
    ):
        types[c] = "BOOLEAN"
    columns = "{" + ", ".join(f"{sql_string(c)}: {sql_string(t)}" for c, t in types.items()) + "}"

    # Households in file order (rowid), with their matching key.
    con.execute(f"""
        CREATE TEMP TABLE hh AS
        SELECT * EXCLUDE (cleaned), norm_doc(cleaned) AS d
        FROM (
            SELECT household_id, upper(trim(document_type)) AS t, clean_doc(document) AS cleaned,
                   birth_date, head_of_household, sisben_area,
                   CAST(replace(trim(sisben_score), ',', '.') AS DOUBLE) AS score,
                   displaced, ethnic_group, ethnic_community_registered, land_tenure,
                   land_restrictions, productive_activity, environmental_restriction,
                   illicit_activity, inaccurate_information, program_line, land_contract_end,
                   arel_population_group, arel_group_document
            FROM read_csv({sql_string(args.households)}, header = true, auto_detect = false,
                          delim = ',', quote = '"', escape = '"', columns = {columns})
        )
    """)

    # One row per key: how many households carry it, and a bit per registry that lists it.
    parts = ["SELECT t, d, 1 AS heads, 0 AS listed FROM hh"]
    for bit, kind in enumerate(KINDS):
        parts.append(f"""
            SELECT upper(trim(document_type)) AS t, norm_doc(clean_doc(document)) AS d,
                   0 AS heads, {1 << bit} AS listed
            FROM read_csv({sql_string(args.registries[kind])}, header = true, all_varchar = true,
                          delim = ',', quote = '"', escape = '"')
        """)
    con.execute(f"""
        CREATE TEMP TABLE keys AS
        SELECT t, d, sum(heads) AS heads, bit_or(listed) AS listed
        FROM ({" UNION ALL ".join(parts)})
        GROUP BY t, d
    """)

    def level_case(area: str) -> str:
        whens = " ".join(
            f"WHEN score > {lo} AND score <= {hi} THEN {level}"
            for level, (lo, hi) in enumerate(CUTOFFS[area], start=1)
        )
        return f"CASE {whens} END"

    flags = f"""
        SELECT h.rowid AS row_number, h.household_id,
            CASE h.sisben_area WHEN '2' THEN {level_case("2")} WHEN '3' THEN {level_case("3")} END AS level,
            h.program_line = 'general' AS general,
            h.program_line = 'arel' AS arel,
            (coalesce(k.listed, 0) & 1) <> 0 AS in_ruv,
            (coalesce(k.listed, 0) & 2) <> 0 AS in_prior,
            (coalesce(k.listed, 0) & 4) <> 0 AS in_servants,
            (coalesce(k.listed, 0) & 8) <> 0 AS in_sanctions,
            (coalesce(k.listed, 0) & 16) <> 0 AS in_wanted,
            coalesce(k.heads > 1, false) AS duplicate,
            h.land_tenure = 'owner' AS owner,
            h.land_restrictions AS restrictions,
            h.displaced AS displaced,
            h.productive_activity = 'none' AS no_activity,
            h.environmental_restriction AS environment,
            h.ethnic_group <> 'none' AS ethnic,
            h.ethnic_community_registered AS registered,
            h.illicit_activity AS illicit,
            h.inaccurate_information AS inaccurate,
            h.birth_date > DATE '{adult_cutoff.isoformat()}' AS minor,
            h.head_of_household AS head,
            h.productive_activity IN ('fishing', 'aquaculture') AS fisher,
            h.land_tenure IN ('owner', 'tenant', 'comodato') AS tenure_ok,
            h.land_tenure IN ('tenant', 'comodato') AS leased,
            coalesce(h.land_contract_end >= DATE '{contract_term.isoformat()}', false) AS contract_ok,
            coalesce(h.arel_population_group, 'none') IN ('', 'none') AS no_group,
            coalesce(h.arel_group_document, false) AS group_document
        FROM hh h LEFT JOIN keys k ON h.t = k.t AND h.d = k.d
    """
    reasons = ",\n".join(f"CASE WHEN {RULES[code]} THEN '{code}' END" for code in CODES)
    level_pct = " ".join(f"WHEN {level} THEN {pct}" for level, pct in LEVEL_PCT.items())
    con.execute(f"""
        COPY (
            SELECT household_id,
                CASE WHEN eligible THEN 'true' ELSE 'false' END AS eligible,
                level AS sisben_level,
                CASE WHEN eligible THEN greatest(
                    CASE WHEN in_ruv THEN {DISPLACED_PCT} ELSE 0 END,
                    CASE WHEN ethnic AND registered THEN {ETHNIC_PCT} ELSE 0 END,
                    CASE level {level_pct} ELSE 0 END) END AS cofinancing_max_pct,
                CASE WHEN eligible THEN CASE WHEN in_ruv THEN {CAP_DISPLACED} ELSE {CAP_OTHER} END END
                    AS cap_smmlv,
                nullif(reasons, '') AS reasons
            FROM (
                SELECT *, reasons = '' AS eligible
                FROM (
                    SELECT *, level IS NOT NULL AS in_level,
                        concat_ws(';', {reasons}) AS reasons
                    FROM ({flags})
                )
            )
            ORDER BY row_number
        ) TO {sql_string(args.out + ".tmp")} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', NEW_LINE '\\n')
    """)
    os.replace(args.out + ".tmp", args.out)


# --------------------------------------------------------------------------------------------
# pandas


def run_pandas(args: argparse.Namespace) -> None:
    import numpy as np
    import pandas as pd

    adult_cutoff = shift_years(args.as_of, -18).isoformat()
    contract_term = shift_years(args.as_of, 5).isoformat()

    def normalized(documents: pd.Series) -> pd.Series:
        cleaned = documents.str.upper().str.replace(SEPARATORS, "", regex=True)
        stripped = cleaned.str.lstrip("0")
        return stripped.where((stripped != "") | (cleaned == ""), "0")

    def keys(types: pd.Series, documents: pd.Series) -> pd.Series:
        return types.str.strip().str.upper() + "\x1f" + normalized(documents)

    def read(path: str, columns: list[str]) -> pd.DataFrame:
        return pd.read_csv(
            path,
            engine="pyarrow",
            usecols=columns,
            dtype={c: "string[pyarrow]" for c in columns},
            keep_default_na=False,
        )

    used = [c for c in HOUSEHOLD_COLUMNS if c not in ("first_name", "last_name", "sex", "municipality_code")]
    h = read(args.households, used)
    n = len(h)
    # Every key, households' and registries', numbered by one hash pass: a household's key is
    # repeated when its number occurs twice among the households, and listed in a registry
    # when the registry's entries share its number (the vectorised form of
    # key.duplicated(keep=False) and key.isin(registry), without hashing the keys six times).
    registry_keys = [
        keys(r["document_type"], r["document"])
        for kind in KINDS
        for r in [read(args.registries[kind], ["document_type", "document"])]
    ]
    all_keys = pd.concat([keys(h["document_type"], h["document"]), *registry_keys], ignore_index=True)
    codes, uniques = pd.factorize(all_keys)
    household_codes = codes[:n]
    heads = np.bincount(household_codes, minlength=len(uniques))
    listed_bits = np.zeros(len(uniques), dtype=np.uint8)
    start = n
    for bit, entries in enumerate(registry_keys):
        listed_bits[codes[start : start + len(entries)]] |= np.uint8(1 << bit)
        start += len(entries)
    household_bits = listed_bits[household_codes]
    listed = {kind: (household_bits & (1 << bit)) != 0 for bit, kind in enumerate(KINDS)}

    def flag(column: str) -> np.ndarray:
        return (h[column] == "true").to_numpy(dtype=bool)

    score_text = h["sisben_score"].str.strip()
    score = pd.to_numeric(score_text.where(score_text != "", None).str.replace(",", ".", regex=False))
    score = score.to_numpy(dtype="float64", na_value=np.nan)
    level = np.zeros(n, dtype=np.int8)
    for area_code, cuts in CUTOFFS.items():
        in_area = (h["sisben_area"] == area_code).to_numpy(dtype=bool)
        for number, (lo, hi) in enumerate(cuts, start=1):
            level[in_area & (score > lo) & (score <= hi)] = number

    tenure = h["land_tenure"]
    activity = h["productive_activity"]
    contract_end = h["land_contract_end"]
    env = {
        "general": (h["program_line"] == "general").to_numpy(dtype=bool),
        "arel": (h["program_line"] == "arel").to_numpy(dtype=bool),
        "in_level": level > 0,
        "in_ruv": listed["ruv"],
        "in_prior": listed["prior_beneficiaries"],
        "in_servants": listed["public_servants"],
        "in_sanctions": listed["sanctions"],
        "in_wanted": listed["wanted"],
        "duplicate": heads[household_codes] > 1,
        "owner": (tenure == "owner").to_numpy(dtype=bool),
        "restrictions": flag("land_restrictions"),
        "displaced": flag("displaced"),
        "no_activity": (activity == "none").to_numpy(dtype=bool),
        "environment": flag("environmental_restriction"),
        "ethnic": (h["ethnic_group"] != "none").to_numpy(dtype=bool),
        "registered": flag("ethnic_community_registered"),
        "illicit": flag("illicit_activity"),
        "inaccurate": flag("inaccurate_information"),
        # ISO dates compare as text.
        "minor": (h["birth_date"] > adult_cutoff).to_numpy(dtype=bool),
        "head": flag("head_of_household"),
        "fisher": activity.isin(["fishing", "aquaculture"]).to_numpy(dtype=bool),
        "tenure_ok": tenure.isin(["owner", "tenant", "comodato"]).to_numpy(dtype=bool),
        "leased": tenure.isin(["tenant", "comodato"]).to_numpy(dtype=bool),
        "contract_ok": ((contract_end != "") & (contract_end >= contract_term)).to_numpy(dtype=bool),
        "no_group": h["arel_population_group"].isin(["", "none"]).to_numpy(dtype=bool),
        "group_document": flag("arel_group_document"),
    }

    # One bit per code, in byte order of the codes; each distinct mask is spelled once.
    mask = np.zeros(n, dtype=np.uint32)
    for bit, code in enumerate(CODES):
        # The SQL condition as a NumPy expression over the flags (names are lower case).
        expression = RULES[code].replace("AND", "&").replace("OR", "|").replace("NOT ", "~")
        fired = eval(expression, {"__builtins__": {}}, env)
        mask |= fired.astype(np.uint32) << np.uint32(bit)
    masks, inverse = np.unique(mask, return_inverse=True)
    spelled = np.array(
        [";".join(code for bit, code in enumerate(CODES) if m >> bit & 1) for m in masks.tolist()],
        dtype=object,
    )
    reasons = spelled[inverse]

    eligible = mask == 0
    pct = np.maximum.reduce(
        [
            np.where(env["in_ruv"], DISPLACED_PCT, 0),
            np.where(env["ethnic"] & env["registered"], ETHNIC_PCT, 0),
            np.select([level == lv for lv in LEVEL_PCT], list(LEVEL_PCT.values()), 0),
        ]
    )
    cap = np.where(env["in_ruv"], CAP_DISPLACED, CAP_OTHER)
    small = np.array(["", "1", "2", "3"], dtype=object)
    spelled_numbers = np.array([str(n) for n in range(101)], dtype=object)

    out = pd.DataFrame(
        {
            "household_id": h["household_id"],
            "eligible": np.where(eligible, "true", "false"),
            "sisben_level": small[level],
            "cofinancing_max_pct": np.where(eligible, spelled_numbers[pct], ""),
            "cap_smmlv": np.where(eligible, spelled_numbers[cap], ""),
            "reasons": reasons,
        }
    )
    assert ",".join(out.columns) == OUT_COLUMNS
    out.to_csv(args.out + ".tmp", index=False, lineterminator="\n", encoding="utf-8")
    os.replace(args.out + ".tmp", args.out)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    check_header(args.households)
    if args.engine == "duckdb":
        run_duckdb(args)
    else:
        run_pandas(args)


if __name__ == "__main__":
    main(sys.argv[1:])
