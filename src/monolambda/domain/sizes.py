"""How long the domain's lists may be: shared by the use cases, which enforce them, and the
API, which estimates an answer's size from them before anything is read. (Its own module:
the HTTP route's cold start need not import the job and model modules for two numbers.)"""

# Labels a prediction may rank (topK).
MAX_TOP_K = 20
# Jobs on one page of a list (jobs(first:)).
MAX_PAGE = 100

# An answer's bytes over HTTP as Lambda carries them (its response is JSON around the body):
# under its 6 MB limit with room to spare.
MAX_HTTP_ANSWER_BYTES = 5 * 1024 * 1024
# One message over API Gateway's WebSocket API (it refuses larger ones).
MAX_SOCKET_MESSAGE_BYTES = 128 * 1024
