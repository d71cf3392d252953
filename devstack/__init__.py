"""The local stack: runs monolambda's template on one machine, without Docker.

Local tooling only: nothing here goes into the Lambda artifact (CodeUri is src/).
"""
