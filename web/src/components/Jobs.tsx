import { useEffect, useState } from "preact/hooks";
import { useClient, useSubscription } from "@urql/preact";
import {
  CancelJobDocument,
  JobResultsDocument,
  JobsDocument,
  JobsUpdatedDocument,
  type JobResultsQuery,
  type JobRowFragment,
  type JobStatus,
} from "../gql/graphql";
import { problemOf, type Problem } from "../errors";
import { imageName } from "../jobFiles";
import { ProblemNotice } from "./Problem";

const OPEN = new Set(["QUEUED", "RUNNING"]);
const STATUSES: JobStatus[] = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];
const PAGE = 20;
type Results = NonNullable<JobResultsQuery["job"]["results"]>;

/** The caller's jobs, newest first, a page at a time (by cursor), optionally in one state;
 * every change pushed over the WebSocket API, and what this page's own mutations answered,
 * shown at once. */
export function Jobs({ known, onChanged }: { known: JobRowFragment[]; onChanged: (job: JobRowFragment) => void }) {
  const client = useClient();
  const [status, setStatus] = useState<JobStatus | "">("");
  const [listed, setListed] = useState<JobRowFragment[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [live] = useSubscription({ query: JobsUpdatedDocument }, (seen: Map<string, JobRowFragment> = new Map(), event) => {
    const changed = new Map(seen);
    changed.set(event.jobsUpdated.id, event.jobsUpdated);
    return changed;
  });

  async function load(after: string | null) {
    setLoading(true);
    const answer = await client
      .query(JobsDocument, { first: PAGE, after, status: status || null })
      .toPromise();
    setLoading(false);
    if (answer.error || !answer.data) return setProblem(problemOf(answer.error, answer.extensions));
    setProblem(null);
    const page = answer.data.jobs;
    setListed((rows) => [...(after ? rows : []), ...page.edges.map((e) => e.node)]);
    setNext(page.pageInfo.hasNextPage ? page.pageInfo.endCursor ?? null : null);
  }

  useEffect(() => {
    void load(null);
  }, [status]);

  const rows = new Map<string, JobRowFragment>();
  for (const job of listed) rows.set(job.id, job);
  for (const job of [...known, ...(live.data?.values() ?? [])]) {
    const shown = rows.get(job.id);
    if (!shown || newer(job, shown)) rows.set(job.id, job);
  }
  const jobs = [...rows.values()]
    .filter((job) => !status || job.status === status)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const liveProblem = live.error ? problemOf(live.error) : null;

  return (
    <section class="panel jobs" aria-labelledby="jobs-title">
      <div class="jobs-head">
        <h2 id="jobs-title">Your jobs</h2>
        <div class="filter">
          <label for="job-status">Show</label>
          <select id="job-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value as JobStatus | "")}>
            <option value="">every job</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()} jobs
              </option>
            ))}
          </select>
        </div>
      </div>
      <ProblemNotice problem={problem ?? liveProblem} />
      {loading && jobs.length === 0 && <p>Loading…</p>}
      {!loading && jobs.length === 0 && (
        <p class="hint">{status ? `No ${status.toLowerCase()} jobs.` : "No jobs yet. Submit a batch above."}</p>
      )}
      <ul class="job-list">
        {jobs.map((job) => (
          <JobItem key={job.id} job={job} onChanged={onChanged} />
        ))}
      </ul>
      {next && (
        <div class="actions">
          <button type="button" class="secondary" disabled={loading} onClick={() => void load(next)}>
            {loading ? "Loading…" : "Show more jobs"}
          </button>
        </div>
      )}
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
  const { done, total, failed } = job.progress;

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
        max={Math.max(total, 1)}
        value={done}
        aria-label={`Job ${short}: ${done} of ${total} images`}
      />
      {job.status === "SUCCEEDED" && failed > 0 && (
        <p class="problem partial">
          {failed} of {total} image{total === 1 ? "" : "s"} failed.
        </p>
      )}
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
            <li key={r.index} class={r.error ? "problem" : undefined}>
              {imageName(job.id, r.index)}:{" "}
              {r.error ? r.error.message : r.labels.map((l) => `${l.label} (${(l.score * 100).toFixed(0)} %)`).join(", ")}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
