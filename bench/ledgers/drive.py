#!/usr/bin/env python3
"""Requests, as the Caquetá territorial officer, one project's ledger page, the office's roll-up
and the open-data exports of the projects, and prints one Markdown table row per address:
median and p90 latency, and the body's size. Called by bench/ledgers/run."""

import argparse
import base64
import hashlib
import hmac
import html
import http.cookiejar
import re
import statistics
import time
import urllib.parse
import urllib.request


def totp(secret):
    """The current six-digit code of a base32 `secret` (30-second steps, SHA-1)."""
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    digest = hmac.new(key, int(time.time() // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--project", required=True)
    parser.add_argument("--movements", type=int, required=True)
    args = parser.parse_args()

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{args.base}/ingreso", timeout=120) as page:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
    form = urllib.parse.urlencode(
        {
            "csrf_token": csrf,
            "next": "",
            "email": "territorial.officer@vereda.test",
            "password": args.password,
        }
    ).encode()
    with opener.open(urllib.request.Request(f"{args.base}/ingreso", data=form), timeout=120) as reply:
        reply.read()

    # The officer signs movements: the second factor is enrolled first (RFC 6238 TOTP).
    with opener.open(f"{args.base}/personal/cuenta/segundo-factor", timeout=120) as page:
        text = page.read().decode()
    secret = re.search(r'<code id="secret">([^<]+)</code>', text)
    if secret:
        token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
        form = urllib.parse.urlencode(
            {"csrf_token": token, "next": "/personal", "code": totp(html.unescape(secret.group(1)))}
        ).encode()
        request = urllib.request.Request(f"{args.base}/personal/cuenta/segundo-factor", data=form)
        with opener.open(request, timeout=120) as reply:
            if 'id="second-factor-enrolled"' not in reply.read().decode():
                raise SystemExit("the second factor was not enrolled")

    def get(path):
        start = time.perf_counter()
        with opener.open(args.base + path, timeout=300) as reply:
            body = reply.read()
        return time.perf_counter() - start, body

    code = urllib.parse.quote(args.project)
    _, ledger = get(f"/personal/proyectos/{code}/cuenta")
    rows = len(re.findall(r"<tr", ledger.decode().split('id="movements"', 1)[-1].split("</table>", 1)[0]))
    if 'id="movements"' not in ledger.decode() or rows < args.movements:
        raise SystemExit(f"the ledger page of {args.project} shows {rows} rows, not {args.movements} movements")
    _, rollup = get(f"/personal/alertas?q={code}")
    if f'data-code="{args.project}"' not in rollup.decode():
        raise SystemExit(f"the office roll-up does not show {args.project}")
    # The open data are rendered afresh on every request: a query the files ignore (`vuelta`)
    # makes each address one the public cache has not seen.
    paths = [
        (f"ledger page of {args.project}", f"/personal/proyectos/{code}/cuenta", False),
        ("office roll-up, page 1", "/personal/alertas", False),
        ("office roll-up, page 2", "/personal/alertas?pagina=2", False),
        (f"office roll-up, searched {args.project}", f"/personal/alertas?q={code}", False),
        ("office roll-up, sorted by alerts descending", "/personal/alertas?orden=-alertas", False),
        ("open data: projects.csv, uncached", "/api/v1/open-data/projects.csv?", True),
        ("open data: projects.json, uncached", "/api/v1/open-data/projects.json?", True),
        (f"open data: IATI of {args.project}, uncached", f"/api/v1/open-data/iati-activities.xml?project={code}&", True),
    ]
    turn = 0
    for label, path, fresh in paths:
        def address():
            nonlocal turn
            turn += 1
            return f"{path}vuelta={turn}" if fresh else path

        for _ in range(3):
            get(address())
        timings, size = [], 0
        for _ in range(args.requests):
            elapsed, body = get(address())
            timings.append(elapsed * 1000)
            size = len(body)
        timings.sort()
        p90 = timings[min(len(timings) - 1, int(len(timings) * 0.9))]
        print(
            f"| {args.backend} | {label} | {statistics.median(timings):.1f} ms | "
            f"{p90:.1f} ms | {size / 1024:.1f} KB |"
        )


if __name__ == "__main__":
    main()
