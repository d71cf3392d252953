import { useEffect, useRef, useState } from "preact/hooks";
import { useClient } from "@urql/preact";
import { PredictDocument, type PredictQuery } from "../gql/graphql";
import { problemOf, type Problem } from "../errors";
import { ProblemNotice } from "./Problem";
import { DropZone, readAsDataUrl } from "./DropZone";

const SIZE = 280;
type Result = PredictQuery["predict"];

export function Predict({ models }: { models: { name: string; description: string }[] }) {
  const client = useClient();
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef<{ x: number; y: number } | null>(null);
  const [model, setModel] = useState(models.some((m) => m.name === "digits") ? "digits" : models[0]?.name ?? "");
  const [inked, setInked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  // The file the labels are of (a drawing has none: the canvas shows it).
  const [preview, setPreview] = useState<{ url: string; name: string } | null>(null);

  useEffect(clear, []);
  useEffect(() => () => void (preview && URL.revokeObjectURL(preview.url)), [preview]);

  function context() {
    return canvas.current?.getContext("2d") ?? null;
  }

  function clear() {
    const ctx = context();
    if (!ctx) return;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, SIZE, SIZE);
    setInked(false);
  }

  function point(event: PointerEvent) {
    const box = canvas.current!.getBoundingClientRect();
    return { x: ((event.clientX - box.left) * SIZE) / box.width, y: ((event.clientY - box.top) * SIZE) / box.height };
  }

  function down(event: PointerEvent) {
    canvas.current!.setPointerCapture(event.pointerId);
    drawing.current = point(event);
    move(event);
  }

  function move(event: PointerEvent) {
    const from = drawing.current;
    const ctx = context();
    if (!from || !ctx) return;
    const to = point(event);
    ctx.strokeStyle = "#000000";
    ctx.lineWidth = 22;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x + 0.01, to.y);
    ctx.stroke();
    drawing.current = to;
    setInked(true);
  }

  function up() {
    drawing.current = null;
  }

  async function predict(image: string) {
    setBusy(true);
    setProblem(null);
    const answer = await client.query(PredictDocument, { input: { model, image, topK: 3 } }).toPromise();
    setBusy(false);
    if (answer.error || !answer.data) {
      setResult(null);
      setProblem(problemOf(answer.error, answer.extensions));
      return;
    }
    setResult(answer.data.predict);
  }

  async function predictFile(files: File[]) {
    const file = files[0];
    if (!file) return;
    setResult(null);
    setPreview({ url: URL.createObjectURL(file), name: file.name });
    try {
      await predict(await readAsDataUrl(file));
    } catch (error) {
      setProblem(problemOf(error));
    }
  }

  function predictDrawing() {
    setPreview(null);
    void predict(canvas.current!.toDataURL("image/png"));
  }

  function refused(sentence: string) {
    setResult(null);
    setPreview(null);
    setProblem({ sentence });
  }

  return (
    <section class="panel" aria-labelledby="predict-title">
      <h2 id="predict-title">Predict</h2>
      <label for="model">Model</label>
      <select id="model" value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
        {models.map((m) => (
          <option key={m.name} value={m.name}>
            {m.name}
          </option>
        ))}
      </select>
      <p class="hint" id="canvas-hint">
        Draw a digit below with a mouse, finger or pen, or drop an image here, or choose a file.
      </p>
      <DropZone label="Image to classify" multiple={false} onFiles={predictFile} onRefused={refused}>
        <canvas
          ref={canvas}
          width={SIZE}
          height={SIZE}
          class="drawing"
          aria-label="Drawing area"
          aria-describedby="canvas-hint"
          role="img"
          onPointerDown={down}
          onPointerMove={move}
          onPointerUp={up}
          onPointerCancel={up}
        />
      </DropZone>
      <div class="actions">
        <button type="button" disabled={!inked || busy} onClick={predictDrawing}>
          {busy ? "Predicting…" : "Predict drawing"}
        </button>
        <button type="button" class="secondary" onClick={clear}>
          Clear
        </button>
      </div>
      <ProblemNotice problem={problem} />
      {(result || preview) && (
        <div class={preview ? "result with-preview" : "result"} aria-live="polite">
          {preview && (
            <figure class="preview">
              <img src={preview.url} alt={`The image you chose: ${preview.name}`} />
              <figcaption>{preview.name}</figcaption>
            </figure>
          )}
          {result && (
            <div>
          <ol class="labels" aria-label="Labels, most likely first">
            {result.labels.map((l) => (
              <li key={l.label}>
                <span class="label">{l.label}</span>
                <meter min={0} max={1} value={l.score} aria-label={`score of ${l.label}`} />
                <span class="score">{(l.score * 100).toFixed(1)} %</span>
              </li>
            ))}
          </ol>
          <p class="timings">
            {result.model} v{result.version} · decode {result.timings.decodeMs.toFixed(1)} ms · inference{" "}
            {result.timings.inferenceMs.toFixed(1)} ms
          </p>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
