// Who the page acts as: a token for the API's JWT authorizer (and the WebSocket API's
// connection_init). Locally, the stack's user pool signs one for any user name; on AWS the
// stack's Cognito user pool does, through its hosted UI (authorization code with PKCE, by
// oidc-client-ts, loaded only when that is the configuration).
import type { AuthConfig } from "./config";

export interface SignedIn {
  user: string;
  token: string | null;
}

const STORAGE_KEY = "monolambda.session";

export function restore(auth: AuthConfig): SignedIn | null {
  if (auth.kind === "none") return { user: "anonymous", token: null };
  const saved = sessionStorage.getItem(STORAGE_KEY);
  if (!saved) return null;
  try {
    const session = JSON.parse(saved) as SignedIn;
    return session.token && !expired(session.token) ? session : null;
  } catch {
    return null;
  }
}

export async function signInAsDevUser(
  auth: Extract<AuthConfig, { kind: "dev" }>,
  user: string,
): Promise<SignedIn> {
  const response = await fetch(new URL(auth.signInUrl, document.baseURI), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: user }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; message?: string };
  if (!response.ok || !body.token) {
    throw new Error(body.message ?? `The local user pool refused to sign in (HTTP ${response.status}).`);
  }
  return remember({ user, token: body.token });
}

async function oidcManager(auth: Extract<AuthConfig, { kind: "oidc" }>) {
  const { UserManager, WebStorageStateStore } = await import("oidc-client-ts");
  const here = new URL(document.baseURI);
  here.search = "";
  here.hash = "";
  return new UserManager({
    authority: auth.authority,
    client_id: auth.clientId,
    redirect_uri: here.href,
    post_logout_redirect_uri: here.href,
    response_type: "code",
    scope: auth.scope ?? "openid email profile",
    userStore: new WebStorageStateStore({ store: sessionStorage }),
  });
}

export async function signInWithOidc(auth: Extract<AuthConfig, { kind: "oidc" }>): Promise<void> {
  await (await oidcManager(auth)).signinRedirect();
}

/** After the hosted UI sends the browser back with ?code=...: the signed-in user, or null. */
export async function completeOidc(auth: AuthConfig): Promise<SignedIn | null> {
  if (auth.kind !== "oidc" || !new URLSearchParams(location.search).has("code")) return null;
  const user = await (await oidcManager(auth)).signinRedirectCallback();
  history.replaceState(null, "", location.pathname);
  const name = String(user.profile["cognito:username"] ?? user.profile.email ?? user.profile.sub);
  // The ID token: its `aud` is the app client, as the API's authorizer expects.
  return remember({ user: name, token: user.id_token ?? null });
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

function remember(session: SignedIn): SignedIn {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  return session;
}

function expired(token: string): boolean {
  try {
    const payload = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.exp === "number" && payload.exp * 1000 < Date.now() + 30_000;
  } catch {
    return true;
  }
}
