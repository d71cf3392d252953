"""How requests arrive and answers leave: API Gateway's HTTP events (lambda_http: sizes and
content types fixed up, then Mangum into Strawberry's ASGI view, app), the WebSocket API's
events (websocket: graphql-transport-ws over the management API) and the operations run
over a socket (live_operations), and what an event says of its caller and request
(requests). The transports use the schema (api.graph) and the guard's trusted documents.
"""
