"""monolambda: a GraphQL monolith that runs as one AWS Lambda function."""

__version__ = "0.1.0"
