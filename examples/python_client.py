"""monolambda from Python, as a client app uses it: gql over the WebSocket API (queries,
mutations and subscriptions on one connection), and an upload through createUpload's form.

    python examples/python_client.py --url ws://127.0.0.1:3000/graphql --token "$TOKEN" IMAGE

It predicts IMAGE inline, uploads it (as a file too large to inline would go) and predicts it
from its upload, then submits a job over the upload and prints each state of the job until it
ends. With a deployed stack: --url is the WebSocketUrl output, the token one of its user pool.
Needs `pip install "gql[websockets]" requests`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import mimetypes
import sys
from pathlib import Path
from typing import Any

import requests
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

PREDICT = """
query Predict($input: PredictInput!) {
  predict(input: $input) { model version labels { label score } timings { inferenceMs } }
}
"""
CREATE_UPLOAD = """
mutation Upload($contentType: String!, $size: Int!) {
  createUpload(contentType: $contentType, size: $size) { url fields { name value } key }
}
"""
SUBMIT = """
mutation Submit($keys: [String!]!) {
  submitJob(input: { s3Keys: $keys }) { job { id status } }
}
"""
WATCH = """
subscription Watch($id: ID!) {
  jobUpdated(id: $id) {
    id status progress { done total } results(first: 50) { labels { label score } }
  }
}
"""


def upload(form: dict[str, Any], content: bytes, content_type: str) -> None:
    """The presigned POST, as a browser would send it: the form's fields, then the file."""
    fields = {f["name"]: f["value"] for f in form["fields"]}
    answer = requests.post(
        form["url"], data=fields, files={"file": ("image", content, content_type)}, timeout=60
    )
    answer.raise_for_status()


def best(prediction: dict[str, Any]) -> str:
    label = prediction["labels"][0]
    return f"{label['label']} ({label['score']:.2f})"


async def run(url: str, token: str, image: Path) -> int:
    content = image.read_bytes()
    content_type = mimetypes.guess_type(image.name)[0] or "image/png"
    # --8<-- [start:connect]
    transport = WebsocketsTransport(url=url, init_payload={"Authorization": f"Bearer {token}"})
    # --8<-- [end:connect]
    async with Client(transport=transport) as session:
        inline = await session.execute(
            GraphQLRequest(
                PREDICT, variable_values={"input": {"image": base64.b64encode(content).decode()}}
            )
        )
        print(f"predicted inline: {best(inline['predict'])}")

        form = (
            await session.execute(
                GraphQLRequest(
                    CREATE_UPLOAD,
                    variable_values={"contentType": content_type, "size": len(content)},
                )
            )
        )["createUpload"]
        await asyncio.to_thread(upload, form, content, content_type)
        stored = await session.execute(
            GraphQLRequest(PREDICT, variable_values={"input": {"s3Key": form["key"]}})
        )
        print(f"predicted from its upload: {best(stored['predict'])}")

        submitted = await session.execute(
            GraphQLRequest(SUBMIT, variable_values={"keys": [form["key"]]})
        )
        job_id = submitted["submitJob"]["job"]["id"]
        print(f"job {job_id} submitted")
        last: dict[str, Any] = {}
        # --8<-- [start:subscribe]
        async for update in session.subscribe(
            GraphQLRequest(WATCH, variable_values={"id": job_id})
        ):
            last = update["jobUpdated"]
            progress = last["progress"]
            print(f"job {last['status']} ({progress['done']}/{progress['total']})")
        # --8<-- [end:subscribe]
        results = last.get("results") or []
        if last.get("status") == "SUCCEEDED" and results:
            print(f"job result: {best(results[0])}")
            return 0
        return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="the WebSocket API (ws:// or wss://)")
    parser.add_argument("--token", required=True, help="a JWT of the stack's user pool")
    parser.add_argument("image", type=Path)
    args = parser.parse_args()
    return asyncio.run(run(args.url, args.token, args.image))


if __name__ == "__main__":
    sys.exit(main())
