"""What every resolver gets: the use cases, the caller and the request id."""

from __future__ import annotations

from dataclasses import dataclass

from monolambda.domain.identity import Caller
from monolambda.services import Services


@dataclass(frozen=True, slots=True)
class Context:
    services: Services
    caller: Caller | None
    request_id: str
    # True when the request could only be read as JSON by assumption (it had no Content-Type);
    # such a request may not mutate anything, as a browser can send it cross-site unannounced.
    read_only: bool = False
