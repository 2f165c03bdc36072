#!/usr/bin/env python3
"""What SQLite alone takes to store a screening's rows, without vereda: copies the households,
heads and results of a database the web bench left (`$WORK/vereda.db`) into a new database of
the same schema, chunk by chunk as the server stores them (one transaction of CHUNK households
a time, the server's pragmas), with INSERT ... SELECT: no statement built, no value bound, no
row returned. What the web bench takes beyond this is vereda's; this is the schema's.

    bench/web-screening/sqlite_floor.py SOURCE.db NEW.db [INDEX,INDEX,...]

The indexes named are left out of the new database, to see what each costs.
Environment: CHUNK (3000), CACHE_KIB (32768), PAGE_SIZE (4096).
"""
import os
import sqlite3
import sys
import time

BIG = ("households", "persons", "screening_results")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    source, target = sys.argv[1], sys.argv[2]
    left_out = [name for name in (sys.argv[3] if len(sys.argv) > 3 else "").split(",") if name]
    chunk = int(os.environ.get("CHUNK", "3000"))
    for path in (target, target + "-wal", target + "-shm"):
        if os.path.exists(path):
            os.remove(path)
    with sqlite3.connect(source) as db:
        schema = db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY type <> 'table', rowid"
        ).fetchall()
        # The last run's households (the bench's file): those stored before are copied first.
        first, last = db.execute(
            "SELECT min(household_id), max(household_id) FROM screening_results "
            "WHERE run_id = (SELECT max(id) FROM screening_runs)"
        ).fetchone()
    db = sqlite3.connect(target, isolation_level=None)
    db.execute(f"PRAGMA page_size = {int(os.environ.get('PAGE_SIZE', '4096'))}")
    db.execute("PRAGMA journal_mode = wal")
    db.execute("PRAGMA synchronous = normal")
    for kind, name, sql in schema:
        if name not in left_out:
            db.execute(sql)
    db.execute("ATTACH ? AS source", (source,))
    for kind, name, _ in schema:
        if kind == "table" and name not in BIG:
            db.execute(f'INSERT INTO main."{name}" SELECT * FROM source."{name}"')
    # The households stored before the run's (the demo's), with their heads and results.
    db.execute("INSERT INTO main.households SELECT * FROM source.households WHERE id < ?", (first,))
    db.execute("INSERT INTO main.persons SELECT * FROM source.persons WHERE household_id < ?", (first,))
    db.execute("INSERT INTO main.screening_results SELECT * FROM source.screening_results "
               "WHERE household_id < ?", (first,))
    # The server's own pragmas (crates/store/src/connect.rs, `sqlite`): change them together.
    for pragma in ("foreign_keys = on", f"cache_size = -{int(os.environ.get('CACHE_KIB', '32768'))}",
                   "mmap_size = 134217728", "wal_autocheckpoint = 131072", "temp_store = memory"):
        db.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    low = first
    while low <= last:
        high = min(low + chunk, last + 1)
        db.execute("BEGIN IMMEDIATE")
        for table, key in (("households", "id"), ("persons", "household_id"),
                           ("screening_results", "household_id")):
            db.execute(f"INSERT INTO main.{table} SELECT * FROM source.{table} "
                       f"WHERE {key} >= ? AND {key} < ?", (low, high))
        db.execute("COMMIT")
        low = high
    took = time.perf_counter() - started
    print(f"{last - first + 1} households, {chunk} a transaction, without {left_out or 'nothing'}: "
          f"{took:.1f} s")


if __name__ == "__main__":
    main()
