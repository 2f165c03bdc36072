#!/usr/bin/env python3
"""Requests /proyectos, a page deep in it and two filters as a staff account (whose pages are
never served from the public cache), and prints one Markdown table row per address: median
and p90 latency, and the HTML's size. Called by bench/portfolio/run."""

import argparse
import html
import http.cookiejar
import re
import statistics
import time
import urllib.parse
import urllib.request


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{args.base}/ingreso", timeout=120) as page:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": csrf, "next": "", "email": "auditor@vereda.test", "password": args.password}
    ).encode()
    with opener.open(urllib.request.Request(f"{args.base}/ingreso", data=form), timeout=120) as reply:
        reply.read()

    def get(path):
        start = time.perf_counter()
        with opener.open(args.base + path, timeout=120) as reply:
            body = reply.read()
        return time.perf_counter() - start, body

    _, first = get("/proyectos")
    text = first.decode()
    if "auditor" not in text and "/salir" not in text:
        raise SystemExit("the login did not take: the page is the anonymous one")

    def first_option(select_id):
        block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', text, re.S).group(1)
        for option in re.finditer(r'<option( value="([^"]*)")?[^>]*>([^<]*)</option>', block):
            # The first option ("all") has an empty value; the others a value or their label.
            chosen = html.unescape(option.group(2) if option.group(1) else option.group(3))
            if chosen:
                return chosen
        raise SystemExit(f"no option in {select_id}")

    matching = re.search(r'<p role="status">(\d+)', text)
    department = first_option("departamento")
    subregion = first_option("subregion")
    paths = [
        ("all projects, page 1", "/proyectos"),
        ("all projects, page 25", "/proyectos?pagina=25"),
        (f"department {department}", "/proyectos?departamento=" + urllib.parse.quote(department)),
        (f"PDET subregion {subregion}", "/proyectos?subregion=" + urllib.parse.quote(subregion)),
    ]
    for label, path in paths:
        for _ in range(3):
            get(path)
        timings, size = [], 0
        for _ in range(args.requests):
            elapsed, body = get(path)
            timings.append(elapsed * 1000)
            size = len(body)
        timings.sort()
        p90 = timings[min(len(timings) - 1, int(len(timings) * 0.9))]
        shown = re.search(r'<p role="status">(\d+)', body.decode())
        print(
            f"| {args.backend} | {label} | {shown.group(1) if shown else '?'} of "
            f"{matching.group(1) if matching else '?'} | {statistics.median(timings):.1f} ms | "
            f"{p90:.1f} ms | {size / 1024:.1f} KB |"
        )


if __name__ == "__main__":
    main()
