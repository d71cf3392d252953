"""The non-HTTP, non-queue routes: S3 uploads, the DynamoDB stream, the schedule.

Each is as thin as worker.py and imports no Strawberry, Starlette or Mangum.
"""
