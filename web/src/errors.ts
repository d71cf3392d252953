// An error as a person reads it: a sentence, and the request id to quote when reporting it.
import type { CombinedError } from "@urql/core";

export interface Problem {
  sentence: string;
  requestId?: string;
  code?: string;
}

/** A failed answer, thrown on by code that awaits several (an upload, then a job). */
export class AnswerError extends Error {
  constructor(
    readonly error: CombinedError | undefined,
    readonly extensions?: Record<string, unknown>,
  ) {
    super(error?.message ?? "The API gave no answer.");
  }
}

export const SESSION_ENDED = "Your session has ended — sign in again.";

const BY_CODE: Record<string, string> = {
  UNAUTHENTICATED: SESSION_ENDED,
  FORBIDDEN: "You are not allowed to do that.",
  RATE_LIMITED: "Too many requests just now. Wait a moment and try again.",
  UNAVAILABLE: "The service is busy or a part of it is away. Try again shortly.",
  INTERNAL: "Something went wrong on our side.",
  PERSISTED_QUERY_NOT_FOUND: "This page is newer than the API it talks to. Reload the page.",
  TRUSTED_DOCUMENTS_ONLY: "This page is newer than the API it talks to. Reload the page.",
};

// --8<-- [start:problem]
/** `extensions`: the answer's own (the API names its request id there under any error). */
export function problemOf(
  error: CombinedError | Error | unknown,
  extensions?: Record<string, unknown>,
): Problem {
  if (error instanceof AnswerError) return problemOf(error.error ?? new Error(error.message), error.extensions);
  if (isCombined(error)) {
    const first = error.graphQLErrors[0];
    if (first) {
      const code = typeof first.extensions?.code === "string" ? first.extensions.code : undefined;
      const id = first.extensions?.requestId ?? extensions?.requestId;
      const requestId = typeof id === "string" ? id : undefined;
      // BAD_USER_INPUT and NOT_FOUND messages are written for the caller; others by code.
      const sentence =
        (code && BY_CODE[code]) || sentenceOf(first.message) || "The request failed.";
      return { sentence, requestId, code };
    }
    // API Gateway refuses a token it does not accept (expired, or its signature broken)
    // with a bare 401: the session has ended, the API is not unreachable.
    if ((error.response as Response | undefined)?.status === 401) {
      return { sentence: SESSION_ENDED, code: "UNAUTHENTICATED" };
    }
    if (error.networkError) {
      return { sentence: "The API could not be reached. Check your connection and try again." };
    }
  }
  if (error instanceof Error) return { sentence: sentenceOf(error.message) };
  return { sentence: "Something went wrong." };
}// --8<-- [end:problem]


function isCombined(error: unknown): error is CombinedError {
  return typeof error === "object" && error !== null && "graphQLErrors" in error;
}

function sentenceOf(message: string): string {
  const text = message.trim();
  if (!text) return "";
  const capital = text[0]!.toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
