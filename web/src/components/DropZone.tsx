import type { ComponentChildren } from "preact";
import { useId, useState } from "preact/hooks";

const ACCEPTED = ["image/png", "image/jpeg", "image/webp", "image/gif"];

/** Files dropped on the zone or chosen with its (keyboard-reachable) file input: the images
 * go to `onFiles`, and the names of what is not an image to `onRefused` (never silently
 * dropped). */
export function DropZone(props: {
  label: string;
  multiple: boolean;
  disabled?: boolean;
  onFiles: (files: File[]) => void;
  onRefused: (sentence: string) => void;
  children?: ComponentChildren;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  const take = (list: FileList | null) => {
    const files = Array.from(list ?? []);
    const images = files.filter((f) => ACCEPTED.includes(f.type));
    const others = files.filter((f) => !ACCEPTED.includes(f.type));
    if (images.length > 0) props.onFiles(images);
    if (others.length > 0) props.onRefused(notImages(others));
  };
  return (
    <div
      class={over ? "drop-zone over" : "drop-zone"}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (!props.disabled) take(e.dataTransfer?.files ?? null);
      }}
    >
      {props.children}
      <label for={id} class="file-label">
        {props.label}
      </label>
      <input
        id={id}
        type="file"
        accept={ACCEPTED.join(",")}
        multiple={props.multiple}
        disabled={props.disabled}
        onChange={(e) => {
          const input = e.target as HTMLInputElement;
          take(input.files);
          input.value = "";
        }}
      />
    </div>
  );
}

function notImages(files: File[]): string {
  const names = files.map((f) => `“${f.name}”`).join(", ");
  const verb = files.length === 1 ? "is not an image" : "are not images";
  return `${names} ${verb}: choose PNG, JPEG, WebP or GIF files.`;
}

export function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error(`${file.name} could not be read`));
    reader.readAsDataURL(file);
  });
}
