"""The browser client's figures: the script it ships (gzipped), a request by hash against the
same document by text (bytes sent, warm p50 and p99 through the local stack's gateway and
function), the bytes and round trips of one operation in each form a client may send it
(its text, a trusted document, automatic persisted queries the first time and once
registered), and Lighthouse's scores for the page on the local stack.

    python bench/web.py [--requests 400] [--no-lighthouse]

Lighthouse 12.2.3 (the last to run on this machine's Node 20) comes from bench/lighthouse's
own lock, installed here on first use, never by `make test`; it drives Debian's Chromium
(CHROME_PATH). The browser test (tests/e2e/test_web_client.py) reports the page's own
timings (load to interactive, a drawing to its labels, a job to its SUCCEEDED row) in
build/web-report/report.json; they are printed here when present.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).parent)]

from local_stack import start, stop  # noqa: E402

DIST = ROOT / "web" / "dist"
MANIFEST = ROOT / "src" / "monolambda" / "api" / "guard" / "trusted-documents" / "web.json"
LIGHTHOUSE_DIR = ROOT / "bench" / "lighthouse"
REPORT = ROOT / "build" / "web-report" / "report.json"
CHROME = shutil.which("chromium") or "/usr/bin/chromium"
GOAL_GZIP_KB = 150


def script_sizes() -> dict[str, Any]:
    """Each file the page loads, raw and gzipped (level 9, as static hosts serve them)."""
    if not (DIST / "index.html").exists():
        subprocess.run(["npm", "run", "--prefix", "web", "--silent", "build"], cwd=ROOT, check=True)
    sizes: dict[str, Any] = {}
    for file in sorted((DIST / "assets").iterdir()):
        raw = file.read_bytes()
        sizes[file.name] = {"bytes": len(raw), "gzip": len(gzip.compress(raw, 9))}
    return sizes


def request(host: str, port: int, body: bytes, token: str) -> float:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    began = time.perf_counter()
    try:
        connection.request(
            "POST",
            "/graphql",
            body,
            {"content-type": "application/json", "authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    elapsed = (time.perf_counter() - began) * 1000
    if response.status != 200 or b'"errors"' in answer:
        raise RuntimeError(f"status {response.status}: {answer[:200]!r}")
    return elapsed


def by_hash_and_by_text(host: str, port: int, token: str, requests: int) -> dict[str, Any]:
    """The web client's job list (Jobs, first: 20): its text against its hash, interleaved."""
    documents = json.loads(MANIFEST.read_text())
    (key, text) = next((k, v) for k, v in documents.items() if "query Jobs(" in v)
    variables = {"first": 20}
    digest = key.removeprefix("sha256:")
    forms = {
        "text": {"query": text, "operationName": "Jobs", "variables": variables},
        "persistedQuery": {
            "operationName": "Jobs",
            "variables": variables,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
        },
        "documentId": {"documentId": key, "variables": variables},
    }
    bodies = {name: json.dumps(form).encode() for name, form in forms.items()}
    for body in bodies.values():  # the container and each form warm
        for _ in range(30):
            request(host, port, body, token)
    samples: dict[str, list[float]] = {name: [] for name in bodies}
    for _ in range(requests):
        for name, body in bodies.items():
            samples[name].append(request(host, port, body, token))
    text_p50 = statistics.median(samples["text"])
    return {
        name: {
            "bytes sent": len(bodies[name]),
            "p50 ms": round(statistics.median(values), 2),
            "p99 ms": round(statistics.quantiles(values, n=100)[98], 2),
            "p50 / text": round(statistics.median(values) / text_p50, 3),
        }
        for name, values in samples.items()
    }


def answer(host: str, port: int, body: bytes, token: str) -> dict[str, Any]:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(
            "POST",
            "/graphql",
            body=body,
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        )
        decoded: dict[str, Any] = json.loads(connection.getresponse().read())
        return decoded
    finally:
        connection.close()


def round_trips(host: str, port: int, token: str) -> dict[str, Any]:
    """One operation as each form sends it, as Apollo's and urql's persisted links send them:
    the request bodies' bytes and the round trips until it is answered."""
    documents = json.loads(MANIFEST.read_text())
    trusted = next(v for v in documents.values() if "query Jobs(" in v)
    variables = {"first": 20}
    # A document no manifest holds (a name of its own per run): registered by APQ.
    name = f"JobsNew{int(time.time())}"
    fresh = f"query {name}($first: Int!) {{ jobs(first: $first) {{ edges {{ node {{ id }} }} }} }}"

    def apq(text: str, *, with_text: bool) -> bytes:
        body: dict[str, Any] = {
            "variables": variables,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha256(text)}},
        }
        if with_text:
            body["query"] = text
        return json.dumps(body).encode()

    def sent(bodies: list[bytes]) -> dict[str, Any]:
        answers = [answer(host, port, b, token) for b in bodies]
        if "data" not in answers[-1]:
            raise RuntimeError(f"not answered: {answers[-1]}")
        return {"round trips": len(bodies), "bytes sent": sum(len(b) for b in bodies)}

    return {
        "text": sent([json.dumps({"query": trusted, "variables": variables}).encode()]),
        "trusted document (by hash)": sent([apq(trusted, with_text=False)]),
        "APQ, first request": sent([apq(fresh, with_text=False), apq(fresh, with_text=True)]),
        "APQ, once registered": sent([apq(fresh, with_text=False)]),
    }


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def lighthouse(url: str) -> dict[str, Any]:
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=LIGHTHOUSE_DIR,
            check=True,
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        flags = (
            "--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
        )
        scores: dict[str, Any] = {}
        for preset in ("mobile", "desktop"):
            command = [
                str(binary),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={out}",
                "--only-categories=performance,accessibility,best-practices",
                f"--chrome-flags={flags}",
            ]
            if preset == "desktop":
                command.append("--preset=desktop")
            subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROME})
            result = json.loads(out.read_text())
            audits = result["audits"]
            scores[preset] = {
                **{
                    name: round(category["score"] * 100)
                    for name, category in result["categories"].items()
                },
                "first contentful paint ms": round(
                    audits["first-contentful-paint"]["numericValue"]
                ),
                "time to interactive ms": round(audits["interactive"]["numericValue"]),
                "total blocking time ms": round(audits["total-blocking-time"]["numericValue"]),
            }
        return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--no-lighthouse", action="store_true")
    args = parser.parse_args()
    sizes = script_sizes()
    scripts = {name: size for name, size in sizes.items() if name.endswith(".js")}
    entry = sum(s["gzip"] for n, s in scripts.items() if n.startswith("index-"))
    figures: dict[str, Any] = {
        "files": sizes,
        "script loaded at start, gzip KB": round(entry / 1024, 1),
        "goal KB": GOAL_GZIP_KB,
        "every script, gzip KB": round(sum(s["gzip"] for s in scripts.values()) / 1024, 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        state_dir = Path(tmp)
        process, _ = start(state_dir)
        try:
            state = json.loads((state_dir / "stack.json").read_text())
            host, port = state["api"].removeprefix("http://").split(":")
            figures["by hash against by text"] = by_hash_and_by_text(
                host, int(port), state["token"], args.requests
            )
            figures["bytes and round trips per operation"] = round_trips(
                host, int(port), state["token"]
            )
            if not args.no_lighthouse:
                figures["lighthouse"] = lighthouse(f"{state['api']}/")
        finally:
            stop(process)
    if REPORT.exists():
        figures["browser test (build/web-report/report.json)"] = json.loads(REPORT.read_text())
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
