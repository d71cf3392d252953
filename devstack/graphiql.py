"""GraphiQL with no network: the files Strawberry's page loads from unpkg are served from
devstack/node_modules instead (same package versions, pinned in package.json), after checking
them against the page's own integrity hashes, which the browser checks again. The page also
gets the dev token, so its requests pass the local JWT authorizer, and its subscriptions
(over the WebSocket API, graphql-ws being part of GraphiQL's bundle) send it in
connection_init.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
ASSET_PREFIX = "/_devstack/assets/"
# src="https://unpkg.com/react@18.2.0/umd/react.production.min.js" integrity="sha384-..."
_ASSET = re.compile(
    r'(?P<attr>src|href)="https://unpkg\.com/(?P<package>(?:@[^/@"]+/)?[^/@"]+)@(?P<version>[^/"]+)'
    r'/(?P<path>[^"]+)"(?P<between>\s+)integrity="(?P<integrity>sha(?:256|384|512)-[^"]+)"'
)
_DEFAULT_HEADERS = "const defaultHeaders = {};"
# The page's first tab: this API's own operations instead of GraphiQL's generic welcome.
_EXAMPLE = re.compile(r"const EXAMPLE_QUERY = `.*?`;", re.DOTALL)
# An 8x8 red square: what the colours model reads as "red".
_RED_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8ISfHgA0wYRUdtBIA0MoBFD5jqJkAAAAA"
    "SUVORK5CYII="
)
EXAMPLE = f"""# monolambda, locally. Run an operation with the play button (Ctrl-Enter); it
# asks which.
# The Headers tab below holds the token you act as (the dev user); to act as someone else,
# put another there: `make token USER=alice` prints one.
#
# Live updates: GraphiQL runs one operation at a time, and running another one stops a
# subscription, so the subscription goes last. Run SubmitJob, put the job id it answers in
# the Variables tab below ({{"id": "..."}}), then run WatchJob: it shows the job as it is
# now, then each change until it ends. It runs over the stack's WebSocket API with the same
# token.

query WhoAndWhat {{
  me {{ sub groups }}
  health {{ status }}
  models {{ name current labels }}
}}

query Predict {{
  predict(input: {{ model: "colours", image: "{_RED_PNG}" }}) {{
    model version labels {{ label score }} timings {{ decodeMs inferenceMs }}
  }}
}}

mutation SubmitJob {{
  submitJob(input: {{ model: "colours", images: ["{_RED_PNG}"] }}) {{
    job {{ id status }}
  }}
}}

query MyJobs {{
  jobs(first: 5) {{
    edges {{ node {{ id status finishedAt results(first: 5) {{ labels {{ label }} }} }} }}
  }}
}}

subscription WatchJob($id: ID!) {{
  jobUpdated(id: $id) {{
    id status progress {{ done total }} results(first: 5) {{ labels {{ label score }} }}
  }}
}}
"""
_INITIAL_HEADERS = "React.useState(parameters.headers)"
# Subscriptions go over the WebSocket API, whose token travels in connection_init's payload:
# the page's headers (the dev token) become that payload too.
_SUBSCRIPTION_URL = "        subscriptionUrl,\n"
_WITH_CONNECTION_PARAMS = _SUBSCRIPTION_URL + "        wsConnectionParams: defaultHeaders,\n"


class AssetError(Exception):
    """A file the page needs is missing from node_modules or differs from what it expects."""


@dataclass
class OfflineGraphiQL:
    token: str | None = None
    node_modules: Path = NODE_MODULES
    # URL path under ASSET_PREFIX -> file, for the files a rewritten page has asked for.
    assets: dict[str, Path] = field(default_factory=dict)

    def rewrite(self, html: str) -> str:
        def local(found: re.Match[str]) -> str:
            package, version, path = found["package"], found["version"], found["path"]
            file = self._verified(package, version, path, found["integrity"])
            key = f"{package}@{version}/{path}"
            self.assets[key] = file
            return (
                f'{found["attr"]}="{ASSET_PREFIX}{key}"{found["between"]}'
                f'integrity="{found["integrity"]}"'
            )

        page = _ASSET.sub(local, html)
        if "https://unpkg.com/" in page:
            raise AssetError("the GraphiQL page loads a file without an integrity hash")
        if _SUBSCRIPTION_URL not in page:
            raise AssetError("the GraphiQL page no longer passes subscriptionUrl; update devstack")
        page = page.replace(_SUBSCRIPTION_URL, _WITH_CONNECTION_PARAMS, 1)
        if not _EXAMPLE.search(page):
            raise AssetError("the GraphiQL page no longer has EXAMPLE_QUERY; update devstack")
        example = EXAMPLE.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
        page = _EXAMPLE.sub(lambda _: f"const EXAMPLE_QUERY = `{example}`;", page, count=1)
        if self.token:
            if _DEFAULT_HEADERS not in page or _INITIAL_HEADERS not in page:
                raise AssetError("the GraphiQL page no longer sets its headers; update devstack")
            headers = json.dumps({"Authorization": f"Bearer {self.token}"})
            page = page.replace(_DEFAULT_HEADERS, f"const defaultHeaders = {headers};")
            # Shown in the Headers tab (and sent from there, over HTTP and in the WebSocket's
            # connection_init alike), so that whom the page acts as is in sight and editable.
            shown = json.dumps(json.dumps({"Authorization": f"Bearer {self.token}"}, indent=2))
            page = page.replace(
                _INITIAL_HEADERS, f"React.useState(parameters.headers || {shown})", 1
            )
        return page

    def asset(self, url_path: str) -> tuple[bytes, str] | None:
        file = self.assets.get(url_path.removeprefix(ASSET_PREFIX))
        if file is None:
            return None
        content_type = "text/css" if file.suffix == ".css" else "application/javascript"
        return file.read_bytes(), f"{content_type}; charset=utf-8"

    def _verified(self, package: str, version: str, path: str, integrity: str) -> Path:
        root = self.node_modules / package
        try:
            installed = json.loads((root / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            raise AssetError(
                f"{package} is not installed in {self.node_modules}: run `make venv`"
            ) from None
        if installed != version:
            raise AssetError(f"GraphiQL wants {package}@{version}; node_modules has {installed}")
        file = (root / path).resolve()
        if root.resolve() not in file.parents or not file.is_file():
            raise AssetError(f"{package}@{version}/{path} is missing")
        algorithm, _, expected = integrity.partition("-")
        actual = base64.b64encode(hashlib.new(algorithm, file.read_bytes()).digest()).decode()
        if actual != expected:
            raise AssetError(f"{package}@{version}/{path} does not match its integrity hash")
        return file
