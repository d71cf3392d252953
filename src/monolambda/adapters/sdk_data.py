"""botocore's data loader (endpoints, service models, endpoint rule sets), made to read less
for the same answers: most of what a session costs on a cold start is this data.

- Each JSON file is read into plain dicts. botocore reads them into OrderedDicts, which takes
  2.5 times as long (16 ms against 6.5 ms for the 1.2 MB of endpoints.json here); a dict
  keeps its order too.
- Whether a service exists is answered from that service's own folder. botocore lists every
  service's folder (440 of them, about 45 M instructions) the first time it loads a model,
  only to refuse a name it does not know; the whole list is still made when something reads
  it (the refusal's message, `get_available_services`).

The search path is botocore's own, AWS_DATA_PATH first (tests/unit/test_aws_session.py holds
these answers equal to botocore's loader's).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Any, overload

from botocore import loaders
from botocore.exceptions import DataNotFoundError

# The names of botocore's service folders; anything else gets botocore's own full answer.
_SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


class PlainJSONFileLoader(loaders.JSONFileLoader):
    def load_file(self, file_path: str) -> Any:
        for extension, opener in ((".json", open), (".json.gz", gzip.open)):
            if os.path.isfile(file_path + extension):
                with opener(file_path + extension, "rb") as file:
                    return json.loads(file.read())
        return None


class KnownServices(Sequence[str]):
    """A loader's services of one type: `in` looks at the one folder, the rest lists all."""

    def __init__(self, contains: Callable[[str], bool], listed: Callable[[], list[str]]) -> None:
        self._contains = contains
        self._listed = listed

    @cached_property
    def _all(self) -> list[str]:
        return self._listed()

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and _SERVICE_NAME.fullmatch(name):
            return self._contains(name)
        return name in self._all

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all[index]

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)


class Loader(loaders.Loader):
    # A Sequence, not a list: botocore only tests names with `in`, joins and iterates it.
    def list_available_services(self, type_name: str) -> KnownServices:  # type: ignore[override]
        return KnownServices(
            contains=lambda name: self._has_service(name, type_name),
            listed=lambda: super(Loader, self).list_available_services(type_name),
        )

    def _has_service(self, name: str, type_name: str) -> bool:
        try:
            self.list_api_versions(name, type_name)
        except DataNotFoundError:
            return False
        return True


def data_loader(data_path: str | None) -> Loader:
    """The loader for a session whose `data_path` (AWS_DATA_PATH) is this, as botocore's
    create_loader makes it."""
    if data_path is None:
        return Loader(file_loader=PlainJSONFileLoader())
    paths = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
    return Loader(extra_search_paths=paths, file_loader=PlainJSONFileLoader())
