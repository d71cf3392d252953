import type { Problem } from "../errors";

/** An error as a sentence, announced to screen readers, with the id to quote. */
export function ProblemNotice({ problem }: { problem: Problem | null }) {
  if (!problem) return null;
  return (
    <p class="problem" role="alert">
      {problem.sentence}
      {problem.requestId && (
        <>
          {" "}
          <span class="request-id">Request id: <code>{problem.requestId}</code></span>
        </>
      )}
    </p>
  );
}
