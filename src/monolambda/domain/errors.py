"""Expected failures. Each carries a client-facing code; its message must be safe to show."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class DomainError(Exception):
    """An expected failure whose message is written for the caller."""

    code: ErrorCode = ErrorCode.INTERNAL


class BadUserInputError(DomainError):
    code = ErrorCode.BAD_USER_INPUT


class NotFoundError(DomainError):
    code = ErrorCode.NOT_FOUND


class UnauthenticatedError(DomainError):
    code = ErrorCode.UNAUTHENTICATED


class ForbiddenError(DomainError):
    code = ErrorCode.FORBIDDEN


class RateLimitedError(DomainError):
    code = ErrorCode.RATE_LIMITED


class ModelUnavailableError(DomainError):
    """A model exists but cannot be used (a broken manifest, a bad pointer, a bad file)."""

    code = ErrorCode.UNAVAILABLE


class TransientError(DomainError):
    """A dependency is busy or briefly away (throttling, a timeout): the same call may
    succeed later. Callers are told to retry; the worker retries by itself."""

    code = ErrorCode.UNAVAILABLE
