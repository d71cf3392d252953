"""The schema and its types: the root fields, which only translate between GraphQL and the use
cases (schema), the Strawberry types of predictions, jobs and the function's state, the
subscription fields' view of their transport (live_fields), and the context every resolver
gets. The schema composes the request guard (api.guard); it knows nothing of how a request
arrived (api.transport).
"""
