"""The request guard: what one request may ask for, decided before anything runs or is read.

A document is bounded in tokens, names, fields once fragments are expanded, depth, aliases,
nesting, operations and literals, in time linear in its size (operation_size, document_walk),
then validated with graphql-core's rules on a budget (limits); its costly fields are counted
(costly_fields); its variables are bounded by their length (variables); its answer's values,
bytes and store reads are estimated (response_size); and a document may be named by its hash
or refused unless trusted (trusted_documents). `limits.OperationGuard` applies them all as
Strawberry creates each execution context. The guard knows the schema only through
graphql-core's types: it never imports the schema's own (api.graph).
"""
