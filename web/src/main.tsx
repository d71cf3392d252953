import { render } from "preact";
import { App } from "./App";
import "./styles.css";

const root = document.getElementById("app")!;
root.replaceChildren(); // the static "Loading…" shown until the script runs
render(<App />, root);
