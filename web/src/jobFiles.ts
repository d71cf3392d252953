// The names of the files a job was made of, as this page uploaded them (in order: a job's
// image N is its Nth file), so that a result or an error can name the file rather than the
// API's index. Kept for the tab's life; a job submitted elsewhere shows "Image N".
const STORAGE_KEY = "monolambda.jobFiles";
const KEPT = 100;

export function rememberFiles(jobId: string, names: string[]): void {
  const all = load();
  delete all[jobId];
  all[jobId] = names;
  const ids = Object.keys(all);
  for (const old of ids.slice(0, Math.max(0, ids.length - KEPT))) delete all[old];
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(all));
}

/** How the page names a job's image `index` (from 0). */
export function imageName(jobId: string, index: number): string {
  return load()[jobId]?.[index] ?? `Image ${index + 1}`;
}

function load(): Record<string, string[]> {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "{}");
    return typeof saved === "object" && saved !== null ? saved : {};
  } catch {
    return {};
  }
}
