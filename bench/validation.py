"""What checking a hostile document costs: parse, the size limits, graphql-core's validation
and the costly-field count, for each family of documents an attacker would try, at the
largest size the token limit lets through (goal: <= 50 ms of CPU, refused or accepted).

Each document is checked by the schema's own guard (what every request runs) with a fresh
comment appended each time, as an attacker defeats the document cache; the figure is the
median CPU time of 5. The worst accepted document's time is printed last.

    python bench/validation.py [--profile dev|prod]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from graphql import GraphQLError, get_introspection_query  # noqa: E402

from monolambda.api.graph.schema import MonolambdaSchema, build_schema  # noqa: E402
from monolambda.settings import Settings  # noqa: E402
from tests.support.hostile_documents import FAMILIES, largest  # noqa: E402


class Timer:
    def __init__(self, schema: MonolambdaSchema) -> None:
        self._guard = schema.guard
        self._fresh = 0

    def check(self, text: str, runs: int = 5) -> tuple[float, str]:
        times = []
        outcome = ""
        for _ in range(runs):
            self._fresh += 1
            fresh = f"{text}\n# {self._fresh}"
            started = time.process_time()
            try:
                checked = self._guard.check(fresh)
                errors = [*checked.limit_errors, *checked.schema_errors]
                outcome = f"refused: {errors[0].message}" if errors else "accepted"
            except GraphQLError as e:
                outcome = f"refused: {e.message}"
            times.append((time.process_time() - started) * 1000)
        return statistics.median(times), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("dev", "prod"), default="dev")
    args = parser.parse_args()
    settings = Settings.from_env({"APP_ENV": args.profile})
    timer = Timer(build_schema(settings))
    timer.check("{ health { status } }")  # imports and first-use caches out of the figures
    max_tokens = settings.limits.max_tokens
    # A legitimate document every GraphiQL load sends: the machine's speed, measured in the
    # same run (these 2-core machines' CPU time for the same work varies by up to 2x).
    reference_ms, _ = timer.check(get_introspection_query(descriptions=True))
    print(f"profile {args.profile}, {max_tokens:,} tokens at most; CPU ms, median of 5")
    print(f"reference: GraphiQL's introspection query, {reference_ms:.1f} ms")
    print(f"{'family':34} {'n':>5} {'bytes':>7} {'ms':>7} {'x ref':>6}  outcome")
    worst: tuple[float, str] = (0.0, "")
    rows: list[tuple[str, str]] = [(name, "") for name in FAMILIES]
    rows += [("fan-out (830 B at 20 levels)", str(n)) for n in (20, 39, 60)]
    for name, fixed in rows:
        family = FAMILIES[name]
        n = int(fixed) if fixed else largest(family, max_tokens)
        text = family(n)
        ms, outcome = timer.check(text)
        print(
            f"{name:34} {n:>5} {len(text):>7,} {ms:>7.1f} {ms / reference_ms:>6.1f}  {outcome[:80]}"
        )
        if outcome == "accepted" and ms > worst[0]:
            worst = (ms, f"{name}, n={n}")
    print(
        f"worst accepted: {worst[1]}: {worst[0]:.1f} ms = {worst[0] / reference_ms:.1f}x the "
        "introspection query"
    )


if __name__ == "__main__":
    main()
