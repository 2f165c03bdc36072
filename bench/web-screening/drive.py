#!/usr/bin/env python3
"""Drives one backend of bench/web-screening/run: uploads the files, loads the server while the
job stores, and prints one Markdown table row. Standard library only."""

import argparse
import json
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

REGISTRIES = ["ruv", "prior_beneficiaries", "public_servants", "sanctions", "wanted"]
def multipart(files_dir):
    boundary = uuid.uuid4().hex
    parts = []

    def part(name, data, filename=None):
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        if filename:
            head += f'; filename="{filename}"\r\nContent-Type: text/csv'
        parts.append(head.encode() + b"\r\n\r\n" + data + b"\r\n")

    part("as_of", b"2013-06-01")
    part("households", (files_dir / "households.csv").read_bytes(), "households.csv")
    for kind in REGISTRIES:
        part(f"registry_{kind}", (files_dir / f"{kind}.csv").read_bytes(), f"{kind}.csv")
    parts.append(f"--{boundary}--\r\n".encode())
    return boundary, b"".join(parts)


def request(url, token=None, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    with urllib.request.urlopen(req, timeout=120) as reply:
        return reply.status, reply.read()


def memory_mib(pid, field):
    """A field of the process's memory: VmHWM its peak resident memory, RssAnon what it holds
    now outside files (the database's memory map and cached pages of files are not in it)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Load:
    """Clients that request pages in a loop until stopped, keeping latencies and errors."""

    def __init__(self):
        self.latencies = []
        self.errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = []

    def client(self, call):
        def loop():
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    call()
                    with self.lock:
                        self.latencies.append(time.perf_counter() - started)
                except (urllib.error.URLError, OSError, AttributeError):
                    with self.lock:
                        self.errors += 1
                time.sleep(0.05)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.threads.append(thread)

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=130)

    def summary(self):
        if not self.latencies:
            return f"no request finished ({self.errors} errors)"
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return f"{statistics.median(ordered) * 1000:.0f} ms / {p99 * 1000:.0f} ms ({self.errors})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--files", required=True, type=Path)
    parser.add_argument("--pid", required=True, type=int)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--size-command", required=True)
    parser.add_argument("--households", required=True, type=int)
    parser.add_argument("--size-before", required=True, type=int)
    args = parser.parse_args()
    base, token = args.base, args.token

    def size():
        out = subprocess.run(["bash", "-c", args.size_command], capture_output=True, text=True, check=True)
        return int(out.stdout.strip().splitlines()[-1])

    boundary, body = multipart(args.files)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    started = time.perf_counter()
    status, reply = request(f"{base}/api/v1/calls/1/screenings", token, body, headers, "POST")
    uploaded = time.perf_counter()
    if status != 202:
        raise SystemExit(f"upload answered {status}: {reply[:300]!r}")
    run_id = json.loads(reply)["run_id"]

    readers, staff = Load(), Load()
    for i in range(20):
        path = "/convocatorias/1" if i % 2 else "/proyectos"
        readers.client(lambda path=path: request(base + path))

    writes = iter(range(1, 1_000_000))

    def write():
        # A staff write through the API: a municipality's count of the institute's
        # interventions in the call (a row upserted and audited in one transaction).
        body = json.dumps({"count": next(writes) % 7}).encode()
        status, _ = request(
            f"{base}/api/v1/calls/1/targeting/interventions/18001",
            token,
            body,
            {"Content-Type": "application/json"},
            "PUT",
        )
        if status != 200:
            raise RuntimeError(f"the write answered {status}")

    for i in range(5):
        if i == 0:
            staff.client(write)
        elif i % 2:
            staff.client(lambda: request(f"{base}/api/v1/screenings/{run_id}", token))
        else:
            # A page of the call's households, which the run fills as it stores (its own
            # results are served once it has finished: 409 until then, by design).
            staff.client(lambda: request(f"{base}/api/v1/calls/1/households?limit=50", token))

    peak_anonymous = 0.0
    while True:
        peak_anonymous = max(peak_anonymous, memory_mib(args.pid, "RssAnon"))
        status, reply = request(f"{base}/api/v1/screenings/{run_id}", token)
        state = json.loads(reply)["status"]
        if state in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    stored = time.perf_counter()
    readers.finish()
    staff.finish()
    if state != "succeeded":
        raise SystemExit(f"the run {state}: {reply[:500]!r}")

    pages = []
    for _ in range(20):
        t = time.perf_counter()
        request(f"{base}/api/v1/screenings/{run_id}/results?limit=50", token)
        pages.append(time.perf_counter() - t)
    grown = size() - args.size_before
    status, reply = request(f"{base}/api/v1/calls/1/screenings", token, body, headers, "POST")
    again = json.loads(reply)
    regrown = size() - args.size_before
    seconds = stored - uploaded
    print(
        f"| {args.backend} | {uploaded - started:.1f} s | {seconds:.1f} s | "
        f"{args.households / seconds:,.0f} | {memory_mib(args.pid, 'VmHWM'):,.0f} MiB ({peak_anonymous:,.0f} MiB) | {readers.summary()} | "
        f"{staff.summary()} | {statistics.median(pages) * 1000:.0f} ms | "
        f"{grown / args.households:,.0f} B | {'reused' if again.get('reused') else 'new run'}, "
        f"{regrown / args.households:,.0f} B per household |"
    )


if __name__ == "__main__":
    main()
