import { useState } from "preact/hooks";
import { useClient } from "@urql/preact";
import { CreateUploadDocument, SubmitJobDocument, type JobRowFragment } from "../gql/graphql";
import { AnswerError, problemOf, type Problem } from "../errors";
import { ProblemNotice } from "./Problem";
import { DropZone } from "./DropZone";
import { rememberFiles } from "../jobFiles";

/** Several files: each uploaded straight to S3 through createUpload's presigned form, then
 * one job over all of them. The job list shows it from there, live. */
export function Batch({ model, onSubmitted }: { model: string; onSubmitted: (job: JobRowFragment) => void }) {
  const client = useClient();
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  async function upload(file: File): Promise<string> {
    const answer = await client
      .mutation(CreateUploadDocument, { contentType: file.type, size: file.size })
      .toPromise();
    if (answer.error || !answer.data) throw new AnswerError(answer.error, answer.extensions);
    const { url, key, fields } = answer.data.createUpload;
    const form = new FormData();
    for (const field of fields) form.append(field.name, field.value);
    form.append("file", file); // last, as S3 requires
    const response = await fetch(url, { method: "POST", body: form });
    if (!response.ok) throw new Error(`${file.name} was not stored (HTTP ${response.status})`);
    return key;
  }

  async function submit(files: File[]) {
    if (files.length === 0) return;
    setBusy(true);
    setProblem(null);
    try {
      const keys: string[] = [];
      for (const [i, file] of files.entries()) {
        setStatus(`Uploading ${i + 1} of ${files.length}: ${file.name}`);
        keys.push(await upload(file));
      }
      setStatus("Submitting the job…");
      const answer = await client.mutation(SubmitJobDocument, { input: { model, s3Keys: keys } }).toPromise();
      if (answer.error || !answer.data) throw new AnswerError(answer.error, answer.extensions);
      rememberFiles(answer.data.submitJob.job.id, files.map((f) => f.name));
      onSubmitted(answer.data.submitJob.job);
      setStatus(`Job submitted for ${files.length} image${files.length === 1 ? "" : "s"}.`);
    } catch (error) {
      setStatus("");
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="batch-title">
      <h2 id="batch-title">Batch job</h2>
      <p class="hint">
        Drop several images here, or choose them: they are uploaded, then classified by the{" "}
        <strong>{model || "default"}</strong> model in one job.
      </p>
      <DropZone
        label="Images for a batch job"
        multiple
        disabled={busy}
        onFiles={submit}
        onRefused={(sentence) => {
          setStatus("");
          setProblem({ sentence });
        }}
      />
      <p class="status" role="status" aria-live="polite">
        {status}
      </p>
      <ProblemNotice problem={problem} />
    </section>
  );
}
