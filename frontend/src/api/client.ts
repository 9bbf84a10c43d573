// The typed API client: generated types (schema.d.ts, `make api-client`) + openapi-fetch.
// Cookies carry the session (HttpOnly; never visible here); every unsafe request carries the
// CSRF header the backend requires.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type User = Schemas["UserOut"];
export type Household = Schemas["HouseholdOut"];
export type Member = Schemas["MemberOut"];
export type Chore = Schemas["ChoreOut"];
export type ChoreCreate = Schemas["ChoreCreateIn"];
export type ChoreUpdate = Schemas["ChoreUpdateIn"];
export type DueItem = Schemas["DueItem"];
export type Completion = Schemas["CompletionOut"];
export type CalendarItem = Schemas["CalendarItem"];
export type Stats = Schemas["StatsOut"];
export type Invite = Schemas["InviteOut"];
export type InviteCreated = Schemas["InviteCreatedOut"];
export type InvitePreview = Schemas["InvitePreviewOut"];
export type Role = Household["role"];
export type Language = "ja" | "en";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** An API failure: the backend's stable `code` (or a local one), its `detail`, and extras. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: unknown;
  readonly rows: { row: number; errors: string[] }[];
  /** Per-field problems of a 422 (`errors`, or FastAPI's plain `detail` list). */
  readonly fields: { loc?: (string | number)[]; msg?: string; type?: string }[];

  constructor(status: number, body: unknown) {
    const record = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const code =
      typeof record.code === "string"
        ? record.code
        : status === 422
          ? "validation_error"
          : status >= 502 && status <= 504
            ? "unreachable"
            : "unknown";
    super(typeof record.detail === "string" ? record.detail : `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = record.detail;
    this.rows = Array.isArray(record.rows) ? (record.rows as ApiError["rows"]) : [];
    const fields = Array.isArray(record.errors) ? record.errors : Array.isArray(record.detail) ? record.detail : [];
    this.fields = fields as ApiError["fields"];
  }
}

/** Set when a request could not reach the server at all; the layout shows a banner. */
type ReachabilityListener = (reachable: boolean) => void;
const listeners = new Set<ReachabilityListener>();
export function onReachability(listener: ReachabilityListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function report(reachable: boolean): void {
  for (const listener of listeners) listener(reachable);
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method)) request.headers.set("X-Requested-With", "XMLHttpRequest");
    return request;
  },
  onResponse({ response }) {
    report(!(response.status >= 502 && response.status <= 504));
    return response;
  },
  onError({ error }) {
    report(false);
    return new ApiError(0, { code: "unreachable", detail: String(error) });
  },
};

// The page's own origin (a relative base is the same in a browser, but not in the unit tests).
export const api = createClient<paths>({ baseUrl: location.origin, credentials: "same-origin" });
api.use(csrf);

/** Unwraps an openapi-fetch result: the data, or throws an ApiError. */
export async function call<T>(
  promise: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await promise;
  if (!response.ok) throw new ApiError(response.status, error);
  return data as T;
}
