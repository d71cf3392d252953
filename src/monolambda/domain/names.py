"""How models and their versions may be named in the registry (S3 prefixes, SSM paths).

Its own module, so that settings can check DEFAULT_MODEL without building the manifest's
dataclasses (about 7 ms of every cold start).
"""

from __future__ import annotations

import re

MODEL_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MODEL_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
