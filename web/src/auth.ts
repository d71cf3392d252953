// Who the page acts as: a token for the API's JWT authorizer (and the WebSocket API's
// connection_init), renewed before it expires so that a tab left open stays signed in.
// Locally, the stack's user pool signs one for any user name and renews it with a refresh
// token, as Cognito's token endpoint does; on AWS the stack's Cognito user pool does, through
// its hosted UI (authorization code with PKCE) and silent renewal with its refresh token, by
// oidc-client-ts, loaded only when that is the configuration.
import type { AuthConfig } from "./config";

export interface SignedIn {
  user: string;
  token: string | null;
  /** The local user pool's (oidc-client-ts keeps Cognito's itself). */
  refreshToken?: string | null;
}

/** The session cannot be renewed (its refresh token revoked or expired): sign in again. */
export class SessionEndedError extends Error {}

const STORAGE_KEY = "monolambda.session";
// A token is renewed this long before it expires, or at four fifths of its life if shorter.
const RENEW_AHEAD_MS = 60_000;

export function restore(auth: AuthConfig): SignedIn | null {
  if (auth.kind === "none") return { user: "anonymous", token: null };
  const saved = sessionStorage.getItem(STORAGE_KEY);
  if (!saved) return null;
  try {
    const session = JSON.parse(saved) as SignedIn;
    if (!session.token) return null;
    // Expired, but renewable: the session keeper renews it at once.
    return !expired(session.token) || renewable(auth, session) ? session : null;
  } catch {
    return null;
  }
}

export async function signInAsDevUser(
  auth: Extract<AuthConfig, { kind: "dev" }>,
  user: string,
): Promise<SignedIn> {
  const body = await post(auth.signInUrl, { username: user });
  if (!body.token) throw new Error(body.message ?? "The local user pool refused to sign in.");
  return remember({ user, token: body.token, refreshToken: body.refreshToken ?? null });
}

/** A fresh token for the session, or SessionEndedError. */
export async function renew(auth: AuthConfig, session: SignedIn): Promise<SignedIn> {
  if (auth.kind === "dev") {
    if (!auth.tokenUrl || !session.refreshToken) throw new SessionEndedError("no refresh token");
    const body = await post(auth.tokenUrl, { refreshToken: session.refreshToken }).catch(() => ({}) as Answer);
    if (!body.token) throw new SessionEndedError(body.message ?? "the refresh token was refused");
    return remember({ ...session, token: body.token });
  }
  if (auth.kind === "oidc") {
    const user = await (await oidcManager(auth)).signinSilent().catch(() => null);
    if (!user?.id_token) throw new SessionEndedError("the hosted UI did not renew the session");
    return remember({ ...session, token: user.id_token });
  }
  return session;
}

/** When the token should be renewed (ms since the epoch), or null if it needs none. */
export function renewalDue(session: SignedIn, now = Date.now()): number | null {
  const expiry = session.token ? expiryOf(session.token) : null;
  if (expiry === null) return null;
  const issued = session.token ? issuedAt(session.token) ?? now : now;
  const ahead = Math.min(RENEW_AHEAD_MS, (expiry - issued) / 5);
  return expiry - ahead;
}

type Answer = { token?: string; refreshToken?: string; message?: string };

async function post(path: string, payload: object): Promise<Answer> {
  const response = await fetch(new URL(path, document.baseURI), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  const body = (await response.json().catch(() => ({}))) as Answer;
  if (!response.ok) return { message: body.message ?? `HTTP ${response.status}` };
  return body;
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
    // Renewal is the page's (renewalDue), with the refresh token the code flow returned.
    automaticSilentRenew: false,
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

export async function signOut(auth: AuthConfig, session: SignedIn | null): Promise<void> {
  sessionStorage.removeItem(STORAGE_KEY);
  // The local pool forgets the refresh token, as Cognito's RevokeToken does.
  if (auth.kind === "dev" && auth.signOutUrl && session?.refreshToken) {
    await post(auth.signOutUrl, { refreshToken: session.refreshToken }).catch(() => undefined);
  }
}

function renewable(auth: AuthConfig, session: SignedIn): boolean {
  return (auth.kind === "dev" && Boolean(session.refreshToken)) || auth.kind === "oidc";
}

function remember(session: SignedIn): SignedIn {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  return session;
}

function claims(token: string): Record<string, unknown> | null {
  try {
    return JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return null;
  }
}

function expiryOf(token: string): number | null {
  const exp = claims(token)?.exp;
  return typeof exp === "number" ? exp * 1000 : null;
}

function issuedAt(token: string): number | null {
  const iat = claims(token)?.iat;
  return typeof iat === "number" ? iat * 1000 : null;
}

function expired(token: string): boolean {
  const expiry = expiryOf(token);
  return expiry === null || expiry < Date.now() + 5_000;
}
