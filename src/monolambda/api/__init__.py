"""The GraphQL edge: Strawberry types, the schema and its ASGI app. Imports services and domain only."""
