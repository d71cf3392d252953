import { useState } from "preact/hooks";
import { useClient, useQuery, useSubscription } from "@urql/preact";
import {
  CancelJobDocument,
  JobResultsDocument,
  JobsDocument,
  JobsUpdatedDocument,
  type JobResultsQuery,
  type JobRowFragment,
} from "../gql/graphql";
import { problemOf, type Problem } from "../errors";
import { ProblemNotice } from "./Problem";

const OPEN = new Set(["QUEUED", "RUNNING"]);
type Results = NonNullable<JobResultsQuery["job"]["results"]>;

/** The caller's jobs: the latest 20, then every change pushed over the WebSocket API (and
 * what this page's own mutations answered, at once). */
export function Jobs({ known, onChanged }: { known: JobRowFragment[]; onChanged: (job: JobRowFragment) => void }) {
  const [listed] = useQuery({ query: JobsDocument, variables: { first: 20 } });
  const [live] = useSubscription({ query: JobsUpdatedDocument }, (seen: Map<string, JobRowFragment> = new Map(), event) => {
    const next = new Map(seen);
    next.set(event.jobsUpdated.id, event.jobsUpdated);
    return next;
  });
  const rows = new Map<string, JobRowFragment>();
  for (const edge of listed.data?.jobs.edges ?? []) rows.set(edge.node.id, edge.node);
  for (const job of known) if (!rows.has(job.id) || newer(job, rows.get(job.id)!)) rows.set(job.id, job);
  for (const job of live.data?.values() ?? []) if (!rows.has(job.id) || newer(job, rows.get(job.id)!)) rows.set(job.id, job);
  const jobs = [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const problem = listed.error ? problemOf(listed.error, listed.extensions) : live.error ? problemOf(live.error) : null;

  return (
    <section class="panel jobs" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Your jobs</h2>
      <ProblemNotice problem={problem} />
      {listed.fetching && jobs.length === 0 && <p>Loading…</p>}
      {!listed.fetching && jobs.length === 0 && <p class="hint">No jobs yet. Submit a batch above.</p>}
      <ul class="job-list">
        {jobs.map((job) => (
          <JobItem key={job.id} job={job} onChanged={onChanged} />
        ))}
      </ul>
    </section>
  );
}

function newer(a: JobRowFragment, b: JobRowFragment): boolean {
  // A finished job never changes again; otherwise the later write wins (the list's answer
  // and the pushed changes may arrive in either order).
  if (!OPEN.has(b.status)) return false;
  return !OPEN.has(a.status) || a.updatedAt >= b.updatedAt;
}

function JobItem({ job, onChanged }: { job: JobRowFragment; onChanged: (job: JobRowFragment) => void }) {
  const client = useClient();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [results, setResults] = useState<Results | null>(null);
  const [busy, setBusy] = useState(false);
  const short = job.id.slice(0, 8);

  async function cancel() {
    setBusy(true);
    const answer = await client.mutation(CancelJobDocument, { id: job.id }).toPromise();
    setBusy(false);
    setProblem(answer.error ? problemOf(answer.error, answer.extensions) : null);
    if (answer.data) onChanged(answer.data.cancelJob);
  }

  async function show() {
    setBusy(true);
    const answer = await client.query(JobResultsDocument, { id: job.id }).toPromise();
    setBusy(false);
    if (answer.error || !answer.data) return setProblem(problemOf(answer.error, answer.extensions));
    setResults(answer.data.job.results ?? []);
  }

  return (
    <li class={`job status-${job.status.toLowerCase()}`} data-job-id={job.id}>
      <div class="job-head">
        <span class={`badge ${job.status.toLowerCase()}`}>{job.status}</span>
        <span class="job-id" title={job.id}>
          Job {short}
        </span>
        <span class="job-model">
          {job.model} v{job.version}
        </span>
        <time dateTime={job.createdAt}>{new Date(job.createdAt).toLocaleTimeString()}</time>
      </div>
      <progress
        max={Math.max(job.progress.total, 1)}
        value={job.progress.done}
        aria-label={`Job ${short}: ${job.progress.done} of ${job.progress.total} images`}
      />
      {job.error && <p class="problem">{job.error.message}</p>}
      <div class="actions">
        {OPEN.has(job.status) && (
          <button type="button" class="secondary" disabled={busy} onClick={cancel}>
            Cancel job {short}
          </button>
        )}
        {job.status === "SUCCEEDED" && !results && (
          <button type="button" disabled={busy} onClick={show}>
            Show results of job {short}
          </button>
        )}
      </div>
      <ProblemNotice problem={problem} />
      {results && (
        <ul class="results" aria-label={`Results of job ${short}`}>
          {results.map((r) => (
            <li key={r.index}>
              Image {r.index + 1}:{" "}
              {r.error ? r.error.message : r.labels.map((l) => `${l.label} (${(l.score * 100).toFixed(0)} %)`).join(", ")}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
