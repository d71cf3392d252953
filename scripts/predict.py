"""Classify an image file with the running local stack (or any deployment):

    make predict IMAGE=digit.png [MODEL=digits] [TOPK=3]
    python scripts/predict.py digit.png --model digits --url https://.../graphql [--token "$JWT"]

Without --url it uses the local stack that `make dev` runs (.dev/stack.json, or --state-dir),
with its dev token when it has an authorizer. A deployment without an authorizer
(AuthEnabled=false) needs no --token: its requests are the anonymous caller.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = """query Predict($i: PredictInput!) {
  predict(input: $i) { model version labels { label score } timings { decodeMs inferenceMs } }
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path)
    parser.add_argument("--model", default="digits")
    parser.add_argument("--version", default=None)
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--url", default=None, help="the GraphQL endpoint")
    parser.add_argument("--token", default=None, help="a JWT, if the endpoint has an authorizer")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".dev", help="of `make dev`")
    args = parser.parse_args()
    try:
        image = args.image.read_bytes()
    except OSError as e:
        print(f"error: cannot read {args.image}: {e.strerror}", file=sys.stderr)
        return 1
    url, token = args.url, args.token
    if url is None:
        state_file = args.state_dir / "stack.json"
        if not state_file.exists():
            print(
                "error: no local stack is running (start it with `make dev`), or give --url",
                file=sys.stderr,
            )
            return 1
        state = json.loads(state_file.read_text())
        url = f"{state['api']}/graphql"
        token = token or state["token"] or None
    variables = {
        "i": {
            "model": args.model,
            "version": args.version,
            "topK": args.top_k,
            "image": base64.b64encode(image).decode(),
        }
    }
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - the user's own endpoint
        url, data=json.dumps({"query": QUERY, "variables": variables}).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the user's URL
            body = json.loads(response.read())
    except urllib.error.HTTPError as e:
        print(f"error: HTTP {e.code}: {e.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    if body.get("errors"):
        for error in body["errors"]:
            print(f"error: {error['extensions'].get('code')}: {error['message']}", file=sys.stderr)
        return 1
    result = body["data"]["predict"]
    print(f"{result['model']} v{result['version']}:")
    for ranked in result["labels"]:
        print(f"  {ranked['label']:>10}  {ranked['score']:.4f}")
    timings = result["timings"]
    print(f"  (decode {timings['decodeMs']:.2f} ms, inference {timings['inferenceMs']:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
