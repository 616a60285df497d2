/**
 * One user's big record cannot stall the others: a thread's state and message
 * count are capped (413 with a message naming the limit and its variable, and
 * nothing is stored), and searches and run listings stop at a byte budget
 * with `X-Pagination-Next` to go on, so no answer grows with what was stored.
 */
import { DEFAULT_LIMITS, limitsFromEnv, resolveLimits } from "../src/limits";
import { DATABASES, openTestDatabase, type TestDatabase } from "./support/databases";
import { client, startServer, token, type Client, type Reply, type TestServer } from "./support/server";

jest.setTimeout(120_000);

const LIMITS = { maxThreadStateBytes: 20_000, maxThreadMessages: 50, maxResponseBytes: 30_000 };
const big = (n: number, mark = "x") => mark.repeat(n);

describe("configuration", () => {
  test("defaults: 10 MB of state, 10,000 messages, 10 MB per listing", () => {
    expect(resolveLimits()).toEqual({
      maxThreadStateBytes: 10 * 1024 * 1024,
      maxThreadMessages: 10_000,
      maxResponseBytes: 10 * 1024 * 1024,
    });
    expect(resolveLimits({ maxThreadMessages: 5 })).toEqual({ ...DEFAULT_LIMITS, maxThreadMessages: 5 });
  });

  test("unknown names and values that are not positive integers are refused, naming what is accepted", () => {
    expect(() => resolveLimits({ maxStateBytes: 1 } as never)).toThrow(
      /Unknown limits: maxStateBytes; accepted: maxThreadStateBytes, maxThreadMessages, maxResponseBytes/,
    );
    for (const bad of [0, -1, 1.5, Number.NaN, "10" as never])
      expect(() => resolveLimits({ maxResponseBytes: bad })).toThrow(/positive integer/);
  });

  test("MAX_THREAD_STATE_BYTES, MAX_THREAD_MESSAGES, MAX_RESPONSE_BYTES", () => {
    expect(
      limitsFromEnv({ MAX_THREAD_STATE_BYTES: "1048576", MAX_THREAD_MESSAGES: "100", MAX_RESPONSE_BYTES: "" }),
    ).toEqual({ maxThreadStateBytes: 1048576, maxThreadMessages: 100 });
    expect(() => limitsFromEnv({ MAX_THREAD_STATE_BYTES: "10mb" })).toThrow(
      /MAX_THREAD_STATE_BYTES must be a positive integer/,
    );
    expect(() => limitsFromEnv({ MAX_RESPONSE_BYTES: "0" })).toThrow(/MAX_RESPONSE_BYTES/);
  });
});

describe.each(DATABASES)("on %s", (kind) => {
  let database: TestDatabase;
  let server: TestServer;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    server = await startServer({ db: database.db, limits: LIMITS });
    alice = client(server.url, token("alice"));
    bob = client(server.url, token("bob"));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  }, 60_000);

  const newThread = async (who: Client) => (await who.post("/threads", {})).body.thread_id as string;
  const run = (who: Client, threadId: string, messages: string[]) =>
    who.post(`/threads/${threadId}/runs/wait`, { assistant_id: "echo", input: { messages } });

  function expect413(res: Reply, variable: string): void {
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error: "payload_too_large",
      message: expect.stringContaining(variable),
      request_id: expect.any(String),
    });
  }

  test("a run that would take the state past MAX_THREAD_STATE_BYTES is a 413 and stores nothing; smaller runs still work", async () => {
    const id = await newThread(alice);
    expect((await run(alice, id, [big(6_000)])).status).toBe(200); // ~12 KB: the message and its echo
    const over = await run(alice, id, [big(6_000)]);
    expect413(over, "MAX_THREAD_STATE_BYTES");
    expect(over.body.message).toMatch(/over the limit of 20000 bytes/);
    expect((await alice.get(`/threads/${id}/state`)).body.values.messages).toHaveLength(2);
    expect((await alice.get(`/threads/${id}/runs`)).body).toHaveLength(1);
    expect((await run(alice, id, ["small"])).status).toBe(200);
  });

  test("a run that would pass MAX_THREAD_MESSAGES is a 413; exactly the limit is allowed", async () => {
    const id = await newThread(alice);
    expect(
      (
        await run(
          alice,
          id,
          Array.from({ length: 20 }, (_, i) => `m${i}`),
        )
      ).status,
    ).toBe(200); // 40 messages
    expect(
      (
        await run(
          alice,
          id,
          Array.from({ length: 5 }, (_, i) => `n${i}`),
        )
      ).status,
    ).toBe(200); // 50
    expect413(await run(alice, id, ["one more"]), "MAX_THREAD_MESSAGES");
    expect((await alice.get(`/threads/${id}/state`)).body.values.messages).toHaveLength(50);
  });

  test("patches add up: one that would take the thread's metadata past the limit is a 413 and changes nothing", async () => {
    const id = await newThread(alice);
    expect((await alice.patch(`/threads/${id}`, { metadata: { a: big(12_000) } })).status).toBe(200);
    expect413(await alice.patch(`/threads/${id}`, { metadata: { b: big(12_000) } }), "MAX_THREAD_STATE_BYTES");
    expect(Object.keys((await alice.get(`/threads/${id}`)).body.metadata).sort()).toEqual(["a", "owner"]);
    expect((await alice.patch(`/threads/${id}`, { metadata: { a: "small", b: big(12_000) } })).status).toBe(200); // replacing a
    expect((await bob.patch(`/threads/${id}`, { metadata: { b: big(12_000) } })).status).toBe(404); // not a 413 for bob
  });

  /** Follows X-Pagination-Next from offset 0; returns every page's answer. */
  async function allPages(fetchPage: (offset: number) => Promise<Reply>): Promise<Reply[]> {
    const pages: Reply[] = [];
    for (let offset = 0; pages.length < 50;) {
      const res = await fetchPage(offset);
      expect(res.status).toBe(200);
      pages.push(res);
      const next = res.headers.get("x-pagination-next");
      if (next === null) return pages;
      expect(Number(next)).toBeGreaterThan(offset);
      offset = Number(next);
    }
    throw new Error("pagination did not end");
  }

  test("a thread search stops at about MAX_RESPONSE_BYTES and X-Pagination-Next reaches every thread once", async () => {
    const carol = client(server.url, token("carol"));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await newThread(carol);
      expect((await run(carol, id, [big(4_500, String(i))])).status).toBe(200); // ~9 KB each
      ids.push(id);
    }
    const pages = await allPages((offset) => carol.post("/threads/search", { limit: 100, offset }));
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(Buffer.byteLength(page.text)).toBeLessThan(LIMITS.maxResponseBytes + 5_000);
    const seen = pages.flatMap((page) => (page.body as { thread_id: string }[]).map((t) => t.thread_id));
    expect(seen.sort()).toEqual([...ids].sort());
  });

  test("a record bigger than the budget on its own still comes, one per page", async () => {
    const dave = client(server.url, token("dave"));
    for (let i = 0; i < 2; i++) expect((await run(dave, await newThread(dave), [big(1_500)])).status).toBe(200); // ~3 KB states
    const tight = await startServer({ db: database.db, limits: { ...LIMITS, maxResponseBytes: 1_000 } });
    try {
      const pages = await allPages((offset) =>
        client(tight.url, token("dave")).post("/threads/search", { limit: 10, offset }),
      );
      expect(pages.map((page) => (page.body as unknown[]).length)).toEqual([1, 1]);
    } finally {
      await tight.close();
    }
  });

  test("run listings (history) and store searches stop at the budget too, and paginate to the end", async () => {
    const erin = client(server.url, token("erin"));
    const id = await newThread(erin);
    for (let i = 0; i < 5; i++) expect((await run(erin, id, [big(1_000, String(i))])).status).toBe(200);
    // Each run keeps its input (about 1 KB) in kwargs; list with a tight budget from another app instance.
    const tight = await startServer({ db: database.db, limits: { ...LIMITS, maxResponseBytes: 2_500 } });
    try {
      const viaTight = client(tight.url, token("erin"));
      const runPages = await allPages((offset) => viaTight.get(`/threads/${id}/runs?limit=100&offset=${offset}`));
      expect(runPages.length).toBeGreaterThan(1);
      expect(runPages.flatMap((page) => page.body as unknown[])).toHaveLength(5);

      for (let i = 0; i < 5; i++)
        expect(
          (await erin.put("/store/items", { namespace: ["erin", "docs"], key: `k${i}`, value: { text: big(1_000) } }))
            .status,
        ).toBe(204);
      const itemPages = await allPages((offset) =>
        viaTight.post("/store/items/search", { namespace_prefix: ["erin"], limit: 100, offset }),
      );
      expect(itemPages.length).toBeGreaterThan(1);
      const keys = itemPages.flatMap((page) => (page.body.items as { key: string }[]).map((item) => item.key));
      expect(keys.sort()).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    } finally {
      await tight.close();
    }
  });

  test("another user's requests are answered while one user hammers a thread at its limit", async () => {
    const id = await newThread(alice);
    expect((await run(alice, id, [big(9_000)])).status).toBe(200);
    const hammer = Array.from({ length: 10 }, () => run(alice, id, [big(9_000)]));
    const others = Array.from({ length: 10 }, (_, i) =>
      i % 2 ? bob.post("/threads/search", { limit: 100 }) : bob.post("/threads", {}),
    );
    const [hammered, answered] = await Promise.all([Promise.all(hammer), Promise.all(others)]);
    for (const res of hammered) expect413(res, "MAX_THREAD_STATE_BYTES");
    for (const res of answered) expect(res.status).toBe(200);
  });
});
