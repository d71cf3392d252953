"""moto in server mode, as `moto_server` runs it, with S3's checks of browser uploads in front
(devstack.post_policy) and SQS's FIFO deduplication (devstack.moto_fidelity):
`python -m devstack.moto_main -H 127.0.0.1 -p 5000`."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

from devstack.moto_fidelity import deduplicate_as_sqs_does
from devstack.post_policy import PostPolicyGate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto_server sets it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deduplicate_as_sqs_does()
    moto = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        PostPolicyGate(moto),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
