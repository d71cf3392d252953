"""The GraphQL edge: Strawberry types, the schema, its ASGI app.

Imports services and domain only; never boto3 or the adapters.
"""
