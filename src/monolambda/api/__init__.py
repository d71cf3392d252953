"""The GraphQL edge, in three parts, each importing only those below it:

- `transport`: how requests arrive and answers leave (API Gateway's HTTP events through
  Mangum and Strawberry's ASGI view, the WebSocket API's events, live operations);
- `graph`: the schema, its types and what its resolvers get;
- `guard`: what a request may ask for, decided before anything runs (sizes, costs,
  variables, trusted documents);

and `errors`, how errors leave the API, which all three use. Imports services and domain
only; never boto3 or the adapters (import-linter's contracts, pyproject.toml).
"""
