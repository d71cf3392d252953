// What a deployment of the page points at: config.json beside index.html, so one build
// serves any stack (the local stack writes its own; README, "The browser client").

export type AuthConfig =
  | { kind: "none" }
  | { kind: "dev"; signInUrl: string; tokenUrl?: string; signOutUrl?: string }
  | { kind: "oidc"; authority: string; clientId: string; scope?: string };

export interface AppConfig {
  graphqlUrl: string;
  websocketUrl: string;
  auth: AuthConfig;
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch(new URL("config.json", document.baseURI), { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`config.json could not be read (HTTP ${response.status})`);
  }
  const raw = (await response.json()) as Partial<AppConfig>;
  if (typeof raw.graphqlUrl !== "string" || typeof raw.websocketUrl !== "string" || !raw.auth) {
    throw new Error("config.json needs graphqlUrl, websocketUrl and auth");
  }
  return {
    graphqlUrl: new URL(raw.graphqlUrl, document.baseURI).href,
    websocketUrl: webSocketUrl(raw.websocketUrl),
    auth: raw.auth,
  };
}

function webSocketUrl(configured: string): string {
  const url = new URL(configured, document.baseURI);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  return url.href;
}
