import { useState } from "preact/hooks";
import type { AuthConfig } from "../config";
import { signInAsDevUser, signInWithOidc, type SignedIn } from "../auth";
import { problemOf, type Problem } from "../errors";
import { ProblemNotice } from "./Problem";

/** `notice`: why the page is here again (the session ended). */
export function SignIn({
  auth,
  notice,
  onSignedIn,
}: {
  auth: AuthConfig;
  notice?: Problem | null;
  onSignedIn: (s: SignedIn) => void;
}) {
  const [user, setUser] = useState("alice");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(notice ?? null);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      if (auth.kind === "dev") onSignedIn(await signInAsDevUser(auth, user.trim()));
      else if (auth.kind === "oidc") await signInWithOidc(auth);
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <h1>monolambda</h1>
      <p>Classify images and run batch jobs with the GraphQL API.</p>
      <form onSubmit={submit} class="panel">
        <h2>Sign in</h2>
        {auth.kind === "dev" ? (
          <>
            <p class="hint">
              The local stack's user pool signs you in as any user name; each user sees only
              their own jobs.
            </p>
            <label for="user">User name</label>
            <input
              id="user"
              name="user"
              autoComplete="username"
              required
              pattern="[A-Za-z0-9_.@\-]{1,64}"
              value={user}
              onInput={(e) => setUser((e.target as HTMLInputElement).value)}
            />
          </>
        ) : (
          <p class="hint">You will be sent to the stack's sign-in page and back.</p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <ProblemNotice problem={problem} />
      </form>
    </main>
  );
}
