// A small mobile-style client of the KetaCare API. Every request and response
// type comes from src/api.d.ts, which openapi-typescript generates from
// docs/openapi.yaml: when the contract renames a field or an operation, this
// file stops compiling instead of failing on a patient's phone.
//
// What a phone needs beyond plain calls:
// - a token store, and a middleware that on 401 trades the refresh token for
//   a new pair once and repeats the request (refresh tokens are single use,
//   so concurrent 401s must share one refresh);
// - creates that survive a dropped connection: a client-made id and an
//   Idempotency-Key per create, and retries with the same key;
// - an offline copy kept with GET /v1/sync.
import { randomUUID } from "node:crypto";
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./api.js";

export type Schemas = components["schemas"];
export type Api = Client<paths>;

/** The tokens of one signed-in account, as a phone keeps them. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  userId: Schemas["ID"];
}

/** Where tokens live: the Keychain or Keystore on a phone, memory here. */
export interface TokenStore {
  load(): StoredTokens | undefined;
  save(tokens: StoredTokens): void;
  clear(): void;
}

export class MemoryTokenStore implements TokenStore {
  private tokens: StoredTokens | undefined;
  load(): StoredTokens | undefined {
    return this.tokens;
  }
  save(tokens: StoredTokens): void {
    this.tokens = tokens;
  }
  clear(): void {
    this.tokens = undefined;
  }
}

/** An answer the client did not expect, with the server's problem document. */
export class ApiError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(`${operation}: HTTP ${status} ${JSON.stringify(problem) ?? ""}`);
    this.name = "ApiError";
  }
}

/** What openapi-fetch resolves to, for any operation. */
interface FetchResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer, or an ApiError carrying the problem. */
export function must<R extends FetchResult>(operation: string, result: R): NonNullable<R["data"]> {
  const { data, response } = result;
  if (data === undefined || data === null) {
    throw new ApiError(operation, response.status, result.error);
  }
  return data;
}

/** The result of a create helper. */
export interface Created<T> {
  record: T;
  /** 201 for a new record, 200 when the client-made id already existed. */
  status: number;
  /** True when the server replayed the first answer to this Idempotency-Key. */
  replayed: boolean;
  /** How many times the request was sent. */
  attempts: number;
  etag: string | null;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

export interface MobileClientOptions {
  baseUrl: string;
  tokens?: TokenStore;
  /** The transport; a test can wrap it to drop connections. */
  fetch?: (request: Request) => Promise<Response>;
  retry?: RetryPolicy;
}

// Operations that take no access token: the refresh middleware leaves them
// alone, so a failed sign-in is never mistaken for an expired token.
const PUBLIC_OPERATIONS = new Set(["/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout"]);

const bearer = (token: string): string => `Bearer ${token}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type NewRecord<K extends keyof Schemas> = Omit<Schemas[K], "id">;

export class MobileClient {
  readonly api: Api;
  readonly tokens: TokenStore;
  /** How many token refreshes this client made; journeys assert on it. */
  refreshes = 0;
  private readonly retry: RetryPolicy;
  private refreshing: Promise<boolean> | undefined;

  constructor(options: MobileClientOptions) {
    this.tokens = options.tokens ?? new MemoryTokenStore();
    this.retry = options.retry ?? { attempts: 4, baseDelayMs: 100 };
    this.api = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
    this.api.use(this.authMiddleware());
  }

  // ---- Accounts and tokens

  async register(body: Schemas["RegisterRequest"]): Promise<Schemas["AuthTokens"]> {
    return this.signedIn(must("register", await this.api.POST("/v1/auth/register", { body })));
  }

  async login(body: Schemas["LoginRequest"]): Promise<Schemas["AuthTokens"]> {
    return this.signedIn(must("login", await this.api.POST("/v1/auth/login", { body })));
  }

  /** Revokes this login on the server and forgets the tokens. */
  async logout(): Promise<void> {
    const tokens = this.tokens.load();
    if (tokens === undefined) return;
    const { response, error } = await this.api.POST("/v1/auth/logout", { body: { refresh_token: tokens.refreshToken } });
    if (response.status !== 204) throw new ApiError("logout", response.status, error);
    this.tokens.clear();
  }

  /**
   * Trades the refresh token for a new pair. Concurrent callers share one
   * request: each refresh token works once, and presenting a spent one
   * signs the whole login out (reuse detection). False when the server
   * refused, and the tokens are then forgotten: the user must sign in again.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<boolean> {
    const tokens = this.tokens.load();
    if (tokens === undefined) return false;
    const { data } = await this.api.POST("/v1/auth/refresh", { body: { refresh_token: tokens.refreshToken } });
    if (data === undefined) {
      this.tokens.clear();
      return false;
    }
    this.refreshes++;
    this.signedIn(data);
    return true;
  }

  private signedIn(tokens: Schemas["AuthTokens"]): Schemas["AuthTokens"] {
    this.tokens.save({ accessToken: tokens.access_token, refreshToken: tokens.refresh_token, userId: tokens.user.id });
    return tokens;
  }

  /** The signed-in user's id; throws when signed out. */
  userId(): Schemas["ID"] {
    const tokens = this.tokens.load();
    if (tokens === undefined) throw new Error("not signed in");
    return tokens.userId;
  }

  private authMiddleware(): Middleware {
    // The body of a request is spent once sent, so each authenticated
    // request keeps a copy to repeat after a refresh.
    const copies = new WeakMap<Request, Request>();
    return {
      onRequest: ({ request, schemaPath }) => {
        if (PUBLIC_OPERATIONS.has(schemaPath)) return undefined;
        const tokens = this.tokens.load();
        if (tokens !== undefined) request.headers.set("Authorization", bearer(tokens.accessToken));
        copies.set(request, request.clone());
        return request;
      },
      onResponse: async ({ request, response, options }) => {
        const copy = copies.get(request);
        copies.delete(request);
        if (response.status !== 401 || copy === undefined) return undefined;
        const current = this.tokens.load();
        if (current === undefined) return undefined;
        // Another request may have refreshed while this one was in flight:
        // then its new token is used, and no second refresh is spent.
        if (copy.headers.get("Authorization") === bearer(current.accessToken) && !(await this.refresh())) {
          return undefined;
        }
        const renewed = this.tokens.load();
        if (renewed === undefined) return undefined;
        copy.headers.set("Authorization", bearer(renewed.accessToken));
        await response.body?.cancel();
        // Sent past the middleware: a request is refreshed at most once.
        return options.fetch(copy);
      },
    };
  }

  // ---- Creates that survive a lost connection

  /**
   * Sends a create until it gets an answer. The caller has already put a
   * client-made id in the body; every attempt carries the same body and
   * Idempotency-Key, so an attempt whose answer was lost is answered by the
   * server's replay of the first one, and nothing is created twice.
   * Retried: network failures, 409 (the first attempt is still running) and
   * 503; anything else is the answer.
   */
  async create<R extends FetchResult>(
    operation: string,
    send: (idempotencyKey: string) => Promise<R>,
  ): Promise<Created<NonNullable<R["data"]>>> {
    const key = randomUUID();
    for (let attempt = 1; ; attempt++) {
      let result: R;
      try {
        result = await send(key);
      } catch (err) {
        // fetch rejects with a TypeError when the connection fails; the
        // request may or may not have reached the server.
        if (!(err instanceof TypeError) || attempt >= this.retry.attempts) throw err;
        await sleep(this.retry.baseDelayMs * 2 ** (attempt - 1));
        continue;
      }
      const { status } = result.response;
      if ((status === 409 || status === 503) && attempt < this.retry.attempts) {
        await result.response.body?.cancel();
        await sleep(this.retry.baseDelayMs * 2 ** (attempt - 1));
        continue;
      }
      return {
        record: must(operation, result),
        status,
        replayed: result.response.headers.get("Idempotent-Replayed") === "true",
        attempts: attempt,
        etag: result.response.headers.get("ETag"),
      };
    }
  }

  createJournalEntry(entry: NewRecord<"CreateJournalEntryRequest">): Promise<Created<Schemas["JournalEntry"]>> {
    const body = { ...entry, id: randomUUID() };
    return this.create("createJournalEntry", (key) =>
      this.api.POST("/v1/journal-entries", { params: { header: { "Idempotency-Key": key } }, body }),
    );
  }

  createActivity(activity: NewRecord<"CreateActivityRequest">): Promise<Created<Schemas["Activity"]>> {
    const body = { ...activity, id: randomUUID() };
    return this.create("createActivity", (key) =>
      this.api.POST("/v1/activities", { params: { header: { "Idempotency-Key": key } }, body }),
    );
  }

  createGoal(goal: NewRecord<"CreateGoalRequest">): Promise<Created<Schemas["Goal"]>> {
    const body = { ...goal, id: randomUUID() };
    return this.create("createGoal", (key) =>
      this.api.POST("/v1/goals", { params: { header: { "Idempotency-Key": key } }, body }),
    );
  }

  createGoalCheckIn(
    goalId: Schemas["ID"],
    checkIn: NewRecord<"CreateGoalCheckInRequest">,
  ): Promise<Created<Schemas["GoalCheckIn"]>> {
    const body = { ...checkIn, id: randomUUID() };
    return this.create("createGoalCheckIn", (key) =>
      this.api.POST("/v1/goals/{goal_id}/check-ins", {
        params: { path: { goal_id: goalId }, header: { "Idempotency-Key": key } },
        body,
      }),
    );
  }

  createAssessment(assessment: NewRecord<"CreateAssessmentRequest">): Promise<Created<Schemas["Assessment"]>> {
    const body = { ...assessment, id: randomUUID() };
    return this.create("createAssessment", (key) =>
      this.api.POST("/v1/assessments", { params: { header: { "Idempotency-Key": key } }, body }),
    );
  }

  // ---- The offline copy

  /**
   * Brings the offline copy up to date: from the beginning when it has no
   * token, else from its token; pages while has_more. A 410 means the token
   * is too old or another account's: the copy is discarded and rebuilt.
   */
  async sync(copy: OfflineCopy, pageSize = 200): Promise<SyncReport> {
    const report: SyncReport = { pages: 0, upserts: 0, deletes: 0, restarted: false };
    for (;;) {
      const result = await this.api.GET("/v1/sync", {
        params: { query: { since: copy.token, limit: pageSize } },
      });
      if (result.response.status === 410 && !report.restarted) {
        copy.reset();
        report.restarted = true;
        continue;
      }
      const page = must("syncChanges", result);
      report.pages++;
      for (const change of page.items) {
        if (copy.apply(change) === "delete") report.deletes++;
        else report.upserts++;
      }
      // Kept only after the page is applied: an app that dies mid-page
      // asks for the same page again.
      copy.token = page.next_token;
      if (!page.has_more) return report;
    }
  }
}

export interface SyncReport {
  pages: number;
  upserts: number;
  deletes: number;
  /** True when the server answered 410 and the copy was rebuilt. */
  restarted: boolean;
}

export type SyncChange = Schemas["SyncChange"];
export type SyncRecordType = Schemas["SyncRecordType"];
export type SyncedRecord<T extends SyncRecordType> = NonNullable<SyncChange[T]>;
export type OfflineRecords = { [T in SyncRecordType]: Map<Schemas["ID"], SyncedRecord<T>> };

const emptyRecords = (): OfflineRecords => ({
  journal_entry: new Map(),
  activity: new Map(),
  goal: new Map(),
  goal_check_in: new Map(),
  mood_check_in: new Map(),
  assessment: new Map(),
  treatment_session: new Map(),
});

/** The patient's records as the phone keeps them, with the sync token. */
export class OfflineCopy {
  records: OfflineRecords = emptyRecords();
  token: string | undefined;

  reset(): void {
    this.records = emptyRecords();
    this.token = undefined;
  }

  /** Applies one change: a tombstone deletes, anything else is the record whole. */
  apply(change: SyncChange): "upsert" | "delete" {
    if (change.deleted_at !== undefined) {
      this.records[change.type].delete(change.id);
      return "delete";
    }
    this.put(change.type, change);
    return "upsert";
  }

  private put<T extends SyncRecordType>(type: T, change: SyncChange): void {
    const record = change[type];
    if (record === undefined) {
      throw new Error(`sync: change ${change.id} of type ${type} has neither the record nor deleted_at`);
    }
    const records: Map<Schemas["ID"], SyncedRecord<T>> = this.records[type];
    records.set(change.id, record);
  }

  /** How many records the copy holds, of every type. */
  size(): number {
    return Object.values(this.records).reduce((n, records) => n + records.size, 0);
  }
}
