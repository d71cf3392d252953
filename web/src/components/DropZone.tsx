import type { ComponentChildren } from "preact";
import { useId, useState } from "preact/hooks";

/** Files dropped on the zone or chosen with its (keyboard-reachable) file input. */
export function DropZone(props: {
  label: string;
  multiple: boolean;
  disabled?: boolean;
  onFiles: (files: File[]) => void;
  children?: ComponentChildren;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  const images = (list: FileList | null) => Array.from(list ?? []).filter((f) => f.type.startsWith("image/"));
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
        if (!props.disabled) props.onFiles(images(e.dataTransfer?.files ?? null));
      }}
    >
      {props.children}
      <label for={id} class="file-label">
        {props.label}
      </label>
      <input
        id={id}
        type="file"
        accept="image/png,image/jpeg,image/webp,image/gif"
        multiple={props.multiple}
        disabled={props.disabled}
        onChange={(e) => {
          const input = e.target as HTMLInputElement;
          props.onFiles(images(input.files));
          input.value = "";
        }}
      />
    </div>
  );
}

export function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error(`${file.name} could not be read`));
    reader.readAsDataURL(file);
  });
}
