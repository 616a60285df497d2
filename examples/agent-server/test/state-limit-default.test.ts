/**
 * The default cap on a thread's state (10 MB, MAX_THREAD_STATE_BYTES): runs of
 * 900 KB messages (each stores the message and its echo) fill a thread until
 * the run that would pass 10 MB is a 413 and the state stays as it was.
 * Without the cap, state grew without bound (80 runs of 1 MB: 268 MB).
 */
import { client, token, useMemoryServer } from "./support/server";

jest.setTimeout(180_000);

const env = useMemoryServer();

test("a thread stops growing at 10 MB by default: 413 with a message, nothing stored", async () => {
  const alice = client(env.server.url, token("alice"));
  const id = (await alice.post("/threads", {})).body.thread_id as string;
  const message = "x".repeat(900_000);
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    const res = await alice.post(`/threads/${id}/runs`, { assistant_id: "echo", input: { messages: [message] } });
    statuses.push(res.status);
    if (res.status === 413) {
      expect(res.body).toEqual({
        error: "payload_too_large",
        message: expect.stringMatching(/MAX_THREAD_STATE_BYTES/),
        request_id: res.headers.get("x-request-id"),
      });
      break;
    }
  }
  expect(statuses).toEqual([200, 200, 200, 200, 200, 413]); // 5 runs: 9 MB; the 6th would make 10.8 MB
  const rows = await env.db.query<{ bytes: number }>(
    "SELECT octet_length(state::text) AS bytes FROM threads WHERE thread_id = $1",
    [id],
  );
  expect(rows[0].bytes).toBeLessThan(10 * 1024 * 1024);
  expect((await alice.get(`/threads/${id}/runs?limit=100`)).body).toHaveLength(5);
});
