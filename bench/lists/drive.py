#!/usr/bin/env python3
"""Seeds N households into the demo call (seed.sql, on SQLite with the sqlite3 module or on
PostgreSQL with psql), then requests the call's staff lists as the program officer (staff
pages are never cached) and prints one Markdown table row per address: median and p90
latency, the rows matching, and the HTML's size. Called by bench/lists/run."""

import argparse
import http.cookiejar
import os
import re
import sqlite3
import statistics
import subprocess
import time
import urllib.parse
import urllib.request


def seed(args):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "seed.sql"), encoding="utf-8") as f:
        sql = f.read().replace("__N__", str(args.n)).replace("__F__", str(args.formulations))
    started = time.perf_counter()
    if args.sqlite:
        db = sqlite3.connect(args.sqlite, timeout=60)
        db.executescript(sql)
        db.execute("ANALYZE")
        db.commit()
        db.close()
    else:
        subprocess.run(["psql", args.psql, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)
        # The seed writes in one statement what a call gathers over months (documents are
        # received one at a time): vacuumed as autovacuum would have by then, so the pages do
        # not measure the minute before its first visit (the visibility map not yet set).
        subprocess.run(["psql", args.psql, "-q", "-c", "VACUUM ANALYZE"], check=True)
    return time.perf_counter() - started


def demo_run(args):
    """The demo's household run, which seed.sql gives the N households' results."""
    sql = "SELECT id FROM screening_runs WHERE job_key = 'demo-households'"
    if args.sqlite:
        db = sqlite3.connect(args.sqlite, timeout=60)
        (run,) = db.execute(sql).fetchone()
        db.close()
        return run
    out = subprocess.run(["psql", args.psql, "-qAt", "-c", sql], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--formulations", type=int, default=3000)
    parser.add_argument("--sqlite")
    parser.add_argument("--psql")
    args = parser.parse_args()

    seconds = seed(args)

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{args.base}/ingreso", timeout=120) as page:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": csrf, "next": "", "email": "program.officer@vereda.test", "password": args.password}
    ).encode()
    with opener.open(urllib.request.Request(f"{args.base}/ingreso", data=form), timeout=120) as reply:
        reply.read()

    def get(path):
        start = time.perf_counter()
        with opener.open(args.base + path, timeout=300) as reply:
            body = reply.read()
        return time.perf_counter() - start, body

    _, calls = get("/personal/convocatorias")
    call = re.search(r'/personal/convocatorias/(\d+)/hogares', calls.decode()).group(1)
    base = f"/personal/convocatorias/{call}"
    deep = (args.n // 50) // 2
    screening = f"/personal/preselecciones/{demo_run(args)}"
    paths = [
        ("households, page 1", f"{base}/hogares"),
        (f"households, page {deep}", f"{base}/hogares?pagina={deep}"),
        ("households, sorted by name descending", f"{base}/hogares?orden=-nombre"),
        ("households, searched \"pena\"", f"{base}/hogares?q=pena"),
        ("households, filtered by municipality 52001", f"{base}/hogares?municipio=52001"),
        ("verification, page 1", f"{base}/verificacion"),
        ("verification, filtered eligible, page 100", f"{base}/verificacion?estado=eligible&pagina=100"),
        ("verification, pending and searched \"gomez\"", f"{base}/verificacion?estado=pending&q=gomez"),
        ("letters, page 1", f"{base}/comunicaciones"),
        ("letters, filtered failed, sorted by kind", f"{base}/comunicaciones?estado=failed&orden=tipo"),
        ("formulations, searched \"cacao\", sorted by title", "/personal/formulaciones?q=cacao&orden=-titulo"),
        ("screening results, page 1", screening),
        (f"screening results, page {deep}", f"{screening}?pagina={deep}"),
        ("screening results, sorted by household descending", f"{screening}?orden=-hogar"),
        ("screening results, searched \"pena\"", f"{screening}?q=pena"),
        ("screening results, reason ART10A_PRIOR, municipality 52001", f"{screening}?motivo=ART10A_PRIOR&municipio=52001"),
        ("screening results, not eligible, sorted by municipality", f"{screening}?estado=not_eligible&orden=municipio"),
        (f"screening results, sorted by municipality descending, page {deep}", f"{screening}?orden=-municipio&pagina={deep}"),
        ("screening results, municipality 52001 sorted by municipality, page 100", f"{screening}?municipio=52001&orden=municipio&pagina=100"),
        ("documents, page 1", f"{base}/documentos"),
        (f"documents, page {deep}", f"{base}/documentos?pagina={deep}"),
        ("documents, sorted by kind descending", f"{base}/documentos?orden=-tipo"),
        ("documents, searched \"pena\"", f"{base}/documentos?q=pena"),
        ("documents, Sisbén in municipality 52001", f"{base}/documentos?tipo=sisben&municipio=52001"),
        ("documents, received in a period, sorted by household", f"{base}/documentos?desde=2026-03-01&hasta=2026-03-01&orden=hogar"),
        ("committee items, page 1", "/personal/comite/proyectos"),
        ("committee items, page 20", "/personal/comite/proyectos?pagina=20"),
        ("committee items, sorted by project", "/personal/comite/proyectos?orden=proyecto"),
        ("committee items, searched \"cafe\"", "/personal/comite/proyectos?q=cafe"),
        ("committee items, pending in open sessions", "/personal/comite/proyectos?concepto=pending&sesion=open&orden=concepto"),
        ("committee sessions", "/personal/comite"),
    ]
    print(f"<!-- {args.backend}: {args.n} households seeded in {seconds:.1f} s -->")
    for label, path in paths:
        for _ in range(3):
            get(path)
        timings, size, body = [], 0, b""
        for _ in range(args.requests):
            elapsed, body = get(path)
            timings.append(elapsed * 1000)
            size = len(body)
        timings.sort()
        p90 = timings[min(len(timings) - 1, int(len(timings) * 0.9))]
        total = re.search(rb'data-total="(\d+)"', body)
        print(
            f"| {args.backend} | {label} | {total.group(1).decode() if total else '?'} | "
            f"{statistics.median(timings):.1f} ms | {p90:.1f} ms | {size / 1024:.1f} KB |"
        )
    # A download of the whole filtered list, once: its time and size.
    for label, path in [
        ("download CSV, municipality 52001", f"{base}/hogares.csv?municipio=52001"),
        ("download XLSX, municipality 52001", f"{base}/hogares.xlsx?municipio=52001"),
        ("download CSV, municipality 52001, by name descending", f"{base}/hogares.csv?municipio=52001&orden=-nombre"),
        ("download screening results CSV, municipality 52001", f"{screening}/resultados.csv?municipio=52001"),
        ("download screening results XLSX, municipality 52001", f"{screening}/resultados.xlsx?municipio=52001"),
        ("download documents CSV, municipality 52001", f"{base}/documentos.csv?municipio=52001"),
        ("download documents XLSX, Sisbén in municipality 52001", f"{base}/documentos.xlsx?municipio=52001&tipo=sisben"),
        ("download committee items CSV, positive", "/personal/comite/proyectos.csv?concepto=positive"),
        ("download committee items XLSX", "/personal/comite/proyectos.xlsx"),
    ]:
        elapsed, body = get(path)
        lines = body.count(b"\n") if path.endswith(".csv") or ".csv?" in path else "-"
        print(f"| {args.backend} | {label} | {lines} lines | {elapsed * 1000:.1f} ms | - | {len(body) / 1024:.1f} KB |")


if __name__ == "__main__":
    main()
