"""Trusted documents: the operations this API's own clients send, known by their SHA-256.

The manifest (`trusted-documents.json` beside this module: `make web-types` copies it from
GraphQL Code Generator's output for `web/src/graphql/*.graphql`) maps each document's hash to
its text. A request may name a
document instead of sending it, in either form clients use:

- Apollo's `extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}`
  (Apollo Client's persisted-queries link, urql's persistedExchange);
- GraphQL over HTTP's `documentId: "sha256:<hex>"`.

With `only` on (TRUSTED_DOCUMENTS_ONLY; the prod example turns it on), a request whose text
is not in the manifest is refused before it is parsed: a hand-written query costs one hash of
its bytes. Either way, the manifest's text object is what runs, so the operation guard keeps
its checked document for the container's life (OperationGuard's `trusted`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).with_name("trusted-documents.json")

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
TRUSTED_DOCUMENTS_ONLY = "TRUSTED_DOCUMENTS_ONLY"
BAD_REQUEST = "BAD_REQUEST"
# What Apollo Client and urql look for before they send the document's text instead.
_NOT_FOUND_MESSAGE = "PersistedQueryNotFound"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_DOCUMENT_ID_PREFIX = "sha256:"


class ManifestError(Exception):
    """The manifest shipped with the function is not what `make web-types` writes."""


class DocumentRefusedError(Exception):
    """A request naming no document this API runs; the message is safe to show."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class TrustedDocuments:
    def __init__(self, documents: Mapping[str, str], *, only: bool) -> None:
        self._documents = dict(documents)
        self.only = only

    @classmethod
    def load(cls, path: Path = MANIFEST, *, only: bool) -> TrustedDocuments:
        """The manifest at `path` (GraphQL Code Generator's persisted-documents.json: each
        key "sha256:" and its document's hash); a key that is not its document's fails."""
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ManifestError(f"{path}: not an object of sha256 -> document")
        documents = {}
        for key, text in manifest.items():
            digest = key.removeprefix(_DOCUMENT_ID_PREFIX)
            if not isinstance(text, str) or key != _DOCUMENT_ID_PREFIX + sha256_of(text):
                raise ManifestError(f"{path}: {key[:24]}... is not the SHA-256 of its document")
            documents[digest] = text
        return cls(documents, only=only)

    @property
    def texts(self) -> frozenset[str]:
        return frozenset(self._documents.values())

    def __len__(self) -> int:
        return len(self._documents)

    def query_of(self, request: Mapping[str, Any]) -> str | None:
        """The text to run for a request's parameters (a JSON body, a GET's query string, a
        WebSocket `subscribe` payload): the named document's, or the text sent if it may
        run; None when the request has neither (the caller's usual "no query" answer)."""
        query = request.get("query")
        named = _named_hash(request)
        if named is not None:
            if query == "":
                # graphql-ws sends no subscribe without a string `query`: with a hash named,
                # an empty one is no text (urql's subscriptionExchange sends that).
                query = None
            text = self._documents.get(named)
            if text is None and query is None:
                raise DocumentRefusedError(_NOT_FOUND_MESSAGE, PERSISTED_QUERY_NOT_FOUND)
            if text is not None:
                if query is not None and query != text:
                    raise DocumentRefusedError(
                        "the request sends a document and names a different one by its hash",
                        BAD_REQUEST,
                    )
                return text
            # A persisted link's second try after PersistedQueryNotFound: the text (as the
            # client prints it, so not necessarily of that hash), which runs as any text does.
        if not isinstance(query, str):
            return None
        if self.only:
            text = self._documents.get(sha256_of(query))
            if text is None:
                raise DocumentRefusedError(
                    "this API runs only its clients' trusted documents: name one by its "
                    "SHA-256 (documentId or extensions.persistedQuery), see schema.graphql",
                    TRUSTED_DOCUMENTS_ONLY,
                )
            return text
        return query


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
