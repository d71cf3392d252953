"""Trusted documents: the operations this API's clients registered, known by their SHA-256;
and, where documents are not restricted, the ones clients register as they go (automatic
persisted queries).

Each client has a manifest of its own beside this module (`trusted-documents/<client>.json`:
each document's `sha256:<hex>` and its text, as GraphQL Code Generator's persisted-documents
writes it). `make web-types` writes the browser client's (`web.json`); `make trusted-client`
checks and writes any other team's from its Code Generator or Apollo manifest
(scripts/trusted_documents.py), so no team edits another's file. A request may name a
document instead of sending it, in either form clients use:

- Apollo's `extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}`
  (Apollo Client's persisted-queries link, urql's persistedExchange);
- GraphQL over HTTP's `documentId: "sha256:<hex>"`.

With `only` on (TRUSTED_DOCUMENTS_ONLY; the prod example turns it on), a request whose text
is not in a manifest is refused before it is parsed: a hand-written query costs one hash of
its bytes. Otherwise a hash no manifest holds, sent again with its text (Apollo's APQ
protocol), is registered (`Registered`: a bounded store that outlives the container), so the
next request by that hash takes one trip. Either way, a known document's text object is what
runs, so the operation guard keeps its checked document for the container's life.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monolambda.logs import logger

if TYPE_CHECKING:  # the ports module's dataclasses cost a cold start ~8 % (bench/startup.py)
    from monolambda.domain.ports import PersistedQueryStore

MANIFESTS = Path(__file__).with_name("trusted-documents")

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
TRUSTED_DOCUMENTS_ONLY = "TRUSTED_DOCUMENTS_ONLY"
BAD_REQUEST = "BAD_REQUEST"
# What Apollo Client and urql look for before they send the document's text instead.
_NOT_FOUND_MESSAGE = "PersistedQueryNotFound"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_DOCUMENT_ID_PREFIX = "sha256:"
# A client's name: its manifest's file name, and a metric's dimension value.
CLIENT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
# Documents registered by APQ: kept in the container (least recently used first out) in
# front of the store; none larger than this is registered (it still runs).
_REGISTERED_IN_MEMORY = 1_000
MAX_REGISTERED_CHARS = 64 * 1024


class ManifestError(Exception):
    """A manifest shipped with the function is not what `make trusted-client` writes."""


class DocumentRefusedError(Exception):
    """A request naming no document this API runs; the message is safe to show."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class Registered:
    """Documents clients registered by APQ: a bounded, least-recently-used copy in the
    container in front of the store (the store made on first need: a cold start that
    sends no unknown hash never builds it). A store that fails costs a trip, never the
    request."""

    def __init__(self, store: Callable[[], PersistedQueryStore]) -> None:
        self._store = store
        self._recent: OrderedDict[str, str] = OrderedDict()

    def get(self, digest: str) -> str | None:
        text = self._recent.get(digest)
        if text is not None:
            self._recent.move_to_end(digest)
            return text
        try:
            text = self._store().get(digest)
        except Exception:  # noqa: BLE001 - the client sends the text again: one more trip
            logger().warning("a registered document could not be read", exc_info=True)
            return None
        if text is not None:
            self._remember(digest, text)
        return text

    def register(self, digest: str, text: str) -> None:
        if len(text) > MAX_REGISTERED_CHARS or digest in self._recent:
            return
        self._remember(digest, text)
        try:
            self._store().put(digest, text)
        except Exception:  # noqa: BLE001 - registering is an optimisation: the text ran
            logger().warning("a document could not be registered", exc_info=True)

    def _remember(self, digest: str, text: str) -> None:
        self._recent[digest] = text
        self._recent.move_to_end(digest)
        while len(self._recent) > _REGISTERED_IN_MEMORY:
            self._recent.popitem(last=False)


class TrustedDocuments:
    def __init__(
        self,
        documents: Mapping[str, str],
        *,
        only: bool,
        clients: frozenset[str] = frozenset(),
        registered: Registered | None = None,
    ) -> None:
        """`documents`: hex SHA-256 -> text, every client's; `clients`: their names;
        `registered`: where APQ registrations go (None: none are kept). With `only`, none
        is ever registered or read."""
        self._documents = dict(documents)
        self.only = only
        self.clients = clients
        self._registered = None if only else registered

    @classmethod
    def load(
        cls, directory: Path = MANIFESTS, *, only: bool, registered: Registered | None = None
    ) -> TrustedDocuments:
        """Every client's manifest in `directory` (<client>.json: each key "sha256:" and its
        document's hash); a key that is not its document's fails, as does a file name that
        is not a client's name."""
        documents: dict[str, str] = {}
        clients = set()
        for path in sorted(directory.glob("*.json")):
            if not CLIENT_NAME.fullmatch(path.stem):
                raise ManifestError(f"{path.name}: a client's name is a-z, 0-9 and -")
            documents.update(read_manifest(path))
            clients.add(path.stem)
        return cls(documents, only=only, clients=frozenset(clients), registered=registered)

    @property
    def texts(self) -> frozenset[str]:
        return frozenset(self._documents.values())

    def __len__(self) -> int:
        return len(self._documents)

    def query_of(self, request: Mapping[str, Any], client: str | None = None) -> str | None:
        """The text to run for a request's parameters (a JSON body, a GET's query string, a
        WebSocket `subscribe` payload): the named document's, or the text sent if it may
        run; None when the request has neither (the caller's usual "no query" answer).
        `client`: the name the request gives itself, for the refusal's words."""
        query = request.get("query")
        named = _named_hash(request)
        if named is not None:
            if query == "":
                # graphql-ws sends no subscribe without a string `query`: with a hash named,
                # an empty one is no text (urql's subscriptionExchange sends that).
                query = None
            text = self._documents.get(named)
            if text is None and self._registered is not None:
                text = self._registered.get(named)
            if text is None and query is None:
                raise DocumentRefusedError(_NOT_FOUND_MESSAGE, PERSISTED_QUERY_NOT_FOUND)
            if text is not None:
                if query is not None and query != text:
                    raise DocumentRefusedError(
                        "the request sends a document and names a different one by its hash",
                        BAD_REQUEST,
                    )
                return text
            # A persisted link's second try after PersistedQueryNotFound: the text. Of that
            # hash (as Apollo Client and urql hash what they send), it is registered; either
            # way it runs as any text does.
            registered = self._registered
            if registered is not None and isinstance(query, str) and sha256_of(query) == named:
                registered.register(named, query)
        if not isinstance(query, str):
            return None
        if self.only:
            text = self._documents.get(sha256_of(query))
            if text is None:
                raise DocumentRefusedError(self._unregistered(client), TRUSTED_DOCUMENTS_ONLY)
            return text
        return query

    def client_of(self, name: str | None) -> str:
        """A client's name as metrics count it: a registered client's, else "other" (or
        "none" when the request names none): a dimension with a bounded set of values."""
        if not name:
            return "none"
        return name if name in self.clients else "other"

    def _unregistered(self, client: str | None) -> str:
        who = f"the client '{client}'" if client in self.clients else "this client"
        return (
            "this API runs only the operations its clients have registered (trusted "
            f"documents), and {who} has registered none with this text. Name a registered "
            "one by its SHA-256 (documentId or extensions.persistedQuery), or register the "
            "client's operations: make trusted-client NAME=<client> MANIFEST=<its manifest> "
            "(docs: Clients, a second client)"
        )


def read_manifest(path: Path) -> dict[str, str]:
    """A client's manifest: hex SHA-256 -> text, each key checked against its document."""
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        raise ManifestError(f"{path.name}: not an object of sha256 -> document")
    documents = {}
    for key, text in manifest.items():
        if not isinstance(text, str) or key != _DOCUMENT_ID_PREFIX + sha256_of(text):
            raise ManifestError(f"{path.name}: {key[:24]}... is not the SHA-256 of its document")
        documents[key.removeprefix(_DOCUMENT_ID_PREFIX)] = text
    return documents


def sha256_of(text: str) -> str:
    # A lone surrogate (JSON's "\ud800") passes through: no trusted document holds one.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _named_hash(request: Mapping[str, Any]) -> str | None:
    document_id = request.get("documentId")
    extensions = request.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, Mapping) else None
    if document_id is None and persisted is None:
        return None
    named = [_document_id_hash(document_id)] if document_id is not None else []
    if persisted is not None:
        named.append(_persisted_query_hash(persisted))
    if len(set(named)) > 1:
        raise _malformed("documentId and extensions.persistedQuery name different documents")
    return named[0]


def _document_id_hash(document_id: object) -> str:
    if not isinstance(document_id, str) or not document_id.startswith(_DOCUMENT_ID_PREFIX):
        raise _malformed('documentId must be "sha256:" and the document\'s hash in hex')
    return _hex_digest(document_id.removeprefix(_DOCUMENT_ID_PREFIX))


def _persisted_query_hash(persisted: object) -> str:
    # Only the integer 1: JSON's true is no version (and Python's True == 1).
    if not isinstance(persisted, Mapping) or not _is_one(persisted.get("version")):
        raise _malformed("extensions.persistedQuery must be {version: 1, sha256Hash}")
    return _hex_digest(persisted.get("sha256Hash"))


def _is_one(version: object) -> bool:
    return type(version) is int and version == 1


def _hex_digest(digest: object) -> str:
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
        raise _malformed("a document's hash is 64 lowercase hex digits (SHA-256)")
    return digest


def _malformed(message: str) -> DocumentRefusedError:
    return DocumentRefusedError(message, BAD_REQUEST)
