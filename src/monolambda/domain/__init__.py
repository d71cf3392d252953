"""Plain-Python core: no SDKs, no GraphQL, standard library only."""
