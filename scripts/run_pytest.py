"""`make pytest`: the whole suite, with the models' evaluations (tests/models) in a second
pytest beside the rest, one on each core.

    python scripts/run_pytest.py [pytest arguments]

The models' tests are CPU alone (scenes drawn, preprocessed and classified, one thread: no
port, no service, no file of the rest), and over 7 of the suite's 18 minutes on one core of
a 2-core machine; the rest waits on its stand-ins' processes, browsers and emulator as much
as it computes. Their output is printed after the rest's, whole; either failing fails the
run. Given arguments (a path, -k, ...), pytest runs them alone.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

MODELS = "tests/models"


def main(arguments: list[str]) -> int:
    if arguments:
        return subprocess.run([sys.executable, "-m", "pytest", *arguments], check=False).returncode
    with tempfile.TemporaryFile("w+") as log:
        # Its own cache off: the two pytests would write .pytest_cache at once.
        models = subprocess.Popen(
            [sys.executable, "-m", "pytest", MODELS, "-p", "no:cacheprovider"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            rest = subprocess.run(
                [sys.executable, "-m", "pytest", f"--ignore={MODELS}"], check=False
            ).returncode
            models.wait()
        finally:
            if models.poll() is None:  # interrupted: the evaluations end with the run
                models.kill()
                models.wait()
        log.seek(0)
        print(f"\n{'=' * 30} {MODELS}, run beside the rest {'=' * 30}", flush=True)
        sys.stdout.write(log.read())
    return rest or models.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
