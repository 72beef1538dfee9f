// The patient's side of the journey, run against a live server (API_URL):
// every step asserts what it expects, and the program exits non-zero on the
// first failure. CI runs it with .ci/ts-client.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ApiError, MobileClient, OfflineCopy, must, type Schemas } from "./client.js";

/**
 * A transport that can lose answers: an armed drop lets the request reach
 * the server and be carried out, then throws the answer away and fails as a
 * broken connection would.
 */
class DroppingTransport {
  private armed = 0;
  dropped = 0;

  dropNextAnswer(): void {
    this.armed++;
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    const response = await globalThis.fetch(request);
    if (this.armed === 0) return response;
    this.armed--;
    await response.arrayBuffer(); // the server finished; the phone never sees it
    this.dropped++;
    throw new TypeError(`fetch failed: connection lost (simulated) after ${request.method} ${new URL(request.url).pathname}`);
  };
}

let passed = 0;

async function step(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    console.error(`not ok - ${name}`);
    throw err;
  }
  passed++;
  console.log(`ok ${passed} - ${name}`);
}

/** A date `days` from today, as the spec's `format: date`. */
const dateIn = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function journey(baseUrl: string): Promise<void> {
  const transport = new DroppingTransport();
  const client = new MobileClient({ baseUrl, fetch: transport.fetch, retry: { attempts: 4, baseDelayMs: 50 } });
  const api = client.api;
  const copy = new OfflineCopy();

  // The server may be shared with other runs: the email is this run's own.
  const email = `patient-${randomUUID()}@example.com`;
  const password = "tide-pool-lantern-dawn";

  let promptKey = "";
  let entry: Schemas["JournalEntry"] | undefined;
  let goal: Schemas["Goal"] | undefined;
  let checkIn: Schemas["GoalCheckIn"] | undefined;
  let activity: Schemas["Activity"] | undefined;
  let assessment: Schemas["Assessment"] | undefined;

  await step("register a patient with a unique email", async () => {
    const tokens = await client.register({ email, password, display_name: "Journey Patient" });
    assert.equal(tokens.user.role, "patient");
    assert.equal(tokens.user.email, email);
    assert.equal(tokens.token_type, "Bearer");
  });

  await step("log in on the phone: a new token pair", async () => {
    const before = client.tokens.load();
    const tokens = await client.login({ email, password });
    assert.equal(tokens.user.email, email);
    assert.notEqual(tokens.refresh_token, before?.refreshToken);
    const me = must("getMe", await api.GET("/v1/me"));
    assert.equal(me.id, client.userId());
  });

  await step("first sync of an empty account: no records, a token kept", async () => {
    const report = await client.sync(copy);
    assert.equal(report.upserts, 0);
    assert.equal(copy.size(), 0);
    assert.ok(copy.token, "the sync answered no next_token");
  });

  await step("read the journal prompts", async () => {
    const prompts = must("listJournalPrompts", await api.GET("/v1/journal-prompts", { params: { query: { phase: "after_session" } } }));
    assert.ok(prompts.items.length > 0, "no after_session prompts");
    assert.ok(prompts.items.every((p) => p.phase === "after_session"));
    const first = prompts.items[0];
    assert.ok(first);
    promptKey = first.key;
  });

  await step("write a journal entry whose answer is lost: the retry gets the replay, one entry exists", async () => {
    transport.dropNextAnswer();
    const created = await client.createJournalEntry({
      prompt_key: promptKey,
      title: "After the first session",
      body: "I noticed how much I hold my breath when I think about work.",
      mood: 7,
      insights: ["I carry tension about work in my body"],
    });
    assert.equal(transport.dropped, 1, "the transport did not drop the first answer");
    assert.equal(created.attempts, 2);
    assert.equal(created.replayed, true, "the retry was not answered with Idempotent-Replayed: true");
    assert.equal(created.status, 201, "the replay should repeat the first answer, 201");
    assert.equal(created.record.prompt_key, promptKey);
    assert.equal(created.record.version, 1);
    entry = created.record;

    const list = must("listJournalEntries", await api.GET("/v1/journal-entries", { params: { query: { include: "body" } } }));
    assert.deepEqual(
      list.items.map((e) => e.id),
      [created.record.id],
      "the lost answer and its retry must leave exactly one entry",
    );
  });

  await step("an invalid access token is refreshed once on 401, for concurrent requests too", async () => {
    const tokens = client.tokens.load();
    assert.ok(tokens);
    // What the server sees of an expired token: a JWT it cannot accept.
    client.tokens.save({ ...tokens, accessToken: `${tokens.accessToken.slice(0, -4)}AAAA` });
    const refreshesBefore = client.refreshes;
    const [me, prompts, instruments] = await Promise.all([
      api.GET("/v1/me"),
      api.GET("/v1/journal-prompts"),
      api.GET("/v1/assessment-instruments"),
    ]);
    assert.equal(must("getMe", me).id, client.userId());
    assert.ok(must("listJournalPrompts", prompts).items.length > 0);
    assert.ok(must("listAssessmentInstruments", instruments).items.length > 0);
    assert.equal(client.refreshes, refreshesBefore + 1, "three 401s must share one refresh");
    const renewed = client.tokens.load();
    assert.ok(renewed);
    assert.notEqual(renewed.refreshToken, tokens.refreshToken, "the refresh token was not rotated");
  });

  await step("set a goal from the entry and check in on it", async () => {
    assert.ok(entry);
    const created = await client.createGoal({
      title: "Call my sister every Sunday",
      why: "I realised how much I have pulled away from the people I love.",
      source_journal_entry_id: entry.id,
      category: "connection",
      first_step: "Text her tonight to pick a time.",
      target_date: dateIn(30),
    });
    assert.equal(created.status, 201);
    assert.equal(created.replayed, false);
    assert.equal(created.record.status, "active");
    assert.equal(created.record.latest_progress, undefined);

    const ci = await client.createGoalCheckIn(created.record.id, { progress: 40, note: "Called once. It was good." });
    assert.equal(ci.status, 201);
    assert.equal(ci.record.goal_id, created.record.id);
    assert.equal(ci.record.progress, 40);
    checkIn = ci.record;

    goal = must("getGoal", await api.GET("/v1/goals/{goal_id}", { params: { path: { goal_id: created.record.id } } }));
    assert.equal(goal.latest_progress, 40);
    assert.equal(goal.version, created.record.version + 1, "a check-in grows the goal's version");
  });

  await step("log an activity", async () => {
    const created = await client.createActivity({
      kind: "nature",
      occurred_at: new Date(Date.now() - 3_600_000).toISOString(),
      duration_minutes: 45,
      note: "Walked by the river without my phone.",
    });
    assert.equal(created.status, 201);
    assert.equal(created.record.kind, "nature");
    assert.equal(created.record.duration_minutes, 45);
    activity = created.record;
  });

  await step("take a PHQ-9 rendered from the instrument catalog", async () => {
    const catalog = must("listAssessmentInstruments", await api.GET("/v1/assessment-instruments"));
    const phq9 = catalog.items.find((i) => i.instrument === "phq9");
    assert.ok(phq9, "the catalog has no PHQ-9");
    assert.equal(phq9.items.length, 9);
    const several = phq9.options.find((o) => o.label === "Several days");
    assert.ok(several, "no 'Several days' option");
    // "Several days" to every item but the safety item, which is "Not at all".
    const answers = phq9.items.map((item) => (item.number === phq9.safety_item ? 0 : several.value));
    const total = answers.reduce((a, b) => a + b, 0);
    const band = phq9.bands.find((b) => b.min <= total && total <= b.max);
    assert.ok(band, `no band holds ${total}`);

    const created = await client.createAssessment({ instrument: "phq9", answers });
    assert.equal(created.status, 201);
    assert.equal(created.record.total, total);
    assert.equal(created.record.severity, band.severity);
    assert.equal(created.record.safety, undefined, "no safety notice without item 9");
    assessment = created.record;
  });

  await step("sync after the changes: the offline copy holds what was written, as the server has it", async () => {
    assert.ok(entry && goal && checkIn && activity && assessment);
    // Small pages, so the copy is built over several.
    const report = await client.sync(copy, 2);
    assert.ok(report.pages >= 2, `expected several pages, got ${report.pages}`);
    assert.equal(report.deletes, 0);
    const fresh = must("getJournalEntry", await api.GET("/v1/journal-entries/{entry_id}", { params: { path: { entry_id: entry.id } } }));
    assert.deepEqual(copy.records.journal_entry.get(entry.id), fresh);
    assert.deepEqual(copy.records.goal.get(goal.id), goal);
    assert.deepEqual(copy.records.goal_check_in.get(checkIn.id), checkIn);
    assert.deepEqual(copy.records.activity.get(activity.id), activity);
    assert.deepEqual(copy.records.assessment.get(assessment.id), assessment);
    assert.equal(copy.size(), 5);
  });

  await step("read progress", async () => {
    assert.ok(assessment);
    const progress = must(
      "getPatientProgress",
      await api.GET("/v1/patients/{patient_id}/progress", { params: { path: { patient_id: client.userId() } } }),
    );
    assert.equal(progress.patient_id, client.userId());
    assert.equal(progress.phq9.count, 1);
    assert.equal(progress.phq9.latest?.total, assessment.total);
    assert.equal(progress.phq9.response, null, "response needs a second assessment");
    assert.equal(progress.gad7.count, 0);
    assert.equal(progress.goals.active, 1);
    assert.equal(progress.journaling_days_last_14, 1);
  });

  await step("edit and delete a draft entry with If-Match: a stale ETag is refused, the delete syncs as a tombstone", async () => {
    const draft = await client.createJournalEntry({ body: "A draft I will not keep." });
    assert.ok(draft.etag, "a created entry carries an ETag");
    const edit = await api.PATCH("/v1/journal-entries/{entry_id}", {
      params: { path: { entry_id: draft.record.id }, header: { "If-Match": draft.etag } },
      body: { title: "Draft" },
    });
    const edited = must("updateJournalEntry", edit);
    assert.equal(edited.version, 2);
    const newEtag = edit.response.headers.get("ETag");
    assert.ok(newEtag);

    const stale = await api.DELETE("/v1/journal-entries/{entry_id}", {
      params: { path: { entry_id: draft.record.id }, header: { "If-Match": draft.etag } },
    });
    assert.equal(stale.response.status, 412, "a delete with a stale ETag must be refused");
    assert.equal(stale.error?.current_version, 2);

    await client.sync(copy);
    assert.equal(copy.records.journal_entry.get(draft.record.id)?.version, 2);

    const gone = await api.DELETE("/v1/journal-entries/{entry_id}", {
      params: { path: { entry_id: draft.record.id }, header: { "If-Match": newEtag } },
    });
    assert.equal(gone.response.status, 204, `delete answered ${gone.response.status}`);

    const report = await client.sync(copy);
    assert.equal(report.deletes, 1, "the delete did not come as one tombstone");
    assert.equal(report.upserts, 0);
    assert.equal(copy.records.journal_entry.has(draft.record.id), false, "the tombstone did not remove the entry");
    assert.equal(copy.size(), 5);
  });

  await step("a full sync from scratch equals the copy kept incrementally", async () => {
    const scratch = new OfflineCopy();
    await client.sync(scratch, 3);
    assert.deepEqual(scratch.records, copy.records);
    const again = await client.sync(copy);
    assert.equal(again.upserts + again.deletes, 0, "nothing changed, nothing should come");
  });

  await step("a shared phone: the previous user's sync token answers 410 and the copy is rebuilt", async () => {
    const previous = new MobileClient({ baseUrl });
    await previous.register({ email: `patient-${randomUUID()}@example.com`, password, display_name: "Previous User" });
    await previous.createActivity({ kind: "exercise", occurred_at: new Date(Date.now() - 60_000).toISOString() });
    const phone = new OfflineCopy();
    await previous.sync(phone);
    assert.equal(phone.records.activity.size, 1);

    const report = await client.sync(phone);
    assert.equal(report.restarted, true, "another account's token must answer 410");
    assert.deepEqual(phone.records, copy.records, "none of the previous user's records may stay");
  });

  await step("log out: the refresh token stops working", async () => {
    const tokens = client.tokens.load();
    assert.ok(tokens);
    await client.logout();
    assert.equal(client.tokens.load(), undefined);
    const { response } = await api.POST("/v1/auth/refresh", { body: { refresh_token: tokens.refreshToken } });
    assert.equal(response.status, 401);
  });
}

const baseUrl = process.env["API_URL"];
if (!baseUrl) {
  console.error("journey: set API_URL to the server's address, such as http://127.0.0.1:8080");
  process.exit(2);
}
try {
  await journey(baseUrl);
  console.log(`journey: ${passed} passed, 0 failed`);
} catch (err) {
  console.error(err instanceof ApiError ? `${err.message}` : err);
  console.log(`journey: ${passed} passed, 1 failed`);
  process.exitCode = 1;
}
