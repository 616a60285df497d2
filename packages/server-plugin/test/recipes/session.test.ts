/**
 * The README's cookie-session recipe (examples/session-app.ts), run as an
 * existing app would be: express-session + passport-local login, Gatehouse on
 * /api with authenticate("session") (through mapUser), owner scoping, logout,
 * and a cross-site unsafe request refused.
 */
import request from "supertest";
import { createSessionApp, type AppUser } from "../../examples/session-app";

const users: AppUser[] = [
  { id: 1, username: "alice", password: "alice-pw", roles: ["threads:write"] },
  { id: 2, username: "bob", password: "bob-pw", roles: [] },
];
const XHR = { "X-Requested-With": "XMLHttpRequest" };

function appUnderTest() {
  const app = createSessionApp(users, "a-session-secret-for-the-tests");
  // Behind auth.middleware() (mounted on /api): what the route sees as req.user and req.auth.user.
  app.get("/api/whoami", (req, res) => void res.json({ reqUser: req.user, authUser: req.auth!.user }));
  return app;
}

async function login(app: ReturnType<typeof appUnderTest>, username: string, password: string) {
  const agent = request.agent(app);
  const res = await agent.post("/login").set(XHR).send({ username, password });
  return { agent, res };
}

test("without a session: 401 JSON with a challenge, never a redirect", async () => {
  const app = appUnderTest();
  const res = await request(app).get("/api/threads/x");
  expect(res.status).toBe(401);
  expect(res.headers.location).toBeUndefined();
  expect(res.headers["content-type"]).toMatch(/application\/json/);
  expect(res.body).toEqual({ error: "credentials_required", message: "Authentication required: send credentials" });
  expect(res.headers["www-authenticate"]).toBe('Session realm="api"');
  // A wrong password does not log in.
  const { agent, res: failed } = await login(app, "alice", "wrong");
  expect(failed.status).toBe(401);
  expect((await agent.get("/api/whoami")).status).toBe(401);
});

test("a logged-in user is authenticated; req.user stays the app's own user, req.auth.user is the mapping", async () => {
  const app = appUnderTest();
  const { agent, res } = await login(app, "alice", "alice-pw");
  expect(res.status).toBe(200);
  const cookie = String(res.headers["set-cookie"]);
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Lax/);
  const who = await agent.get("/api/whoami").expect(200);
  expect(who.body.reqUser).toEqual(users[0]); // own fields intact, nothing added
  expect(who.body.authUser).toEqual({
    identity: "1",
    permissions: ["threads:write"],
    is_authenticated: true,
    display_name: "1",
    username: "alice",
  });
});

test("owner scoping: each user sees only their own threads (404 for another's)", async () => {
  const app = appUnderTest();
  const alice = await login(app, "alice", "alice-pw");
  const bob = await login(app, "bob", "bob-pw");
  const created = await alice.agent
    .post("/api/threads")
    .set(XHR)
    .send({ metadata: { topic: "tax", owner: "2" } })
    .expect(200);
  expect(created.body.metadata).toEqual({ topic: "tax", owner: "1" });
  const id = created.body.thread_id as string;
  await alice.agent.get(`/api/threads/${id}`).expect(200);
  const foreign = await bob.agent.get(`/api/threads/${id}`);
  const missing = await bob.agent.get("/api/threads/nope");
  expect(foreign.status).toBe(404);
  expect([foreign.status, foreign.body]).toEqual([missing.status, missing.body]);
});

test("CSRF: a cross-site unsafe request with the session cookie is refused before it reaches the API", async () => {
  const app = appUnderTest();
  const { agent } = await login(app, "alice", "alice-pw");
  // What a form on another site can send: the cookie, a form body, its Origin; no custom header.
  const res = await agent
    .post("/api/threads")
    .set("Origin", "https://evil.example")
    .type("form")
    .send("metadata[owner]=1");
  expect(res.status).toBe(403);
  expect(res.body.error).toBe("forbidden");
  // A logout by a cross-site form is refused too; the session still works.
  expect((await agent.post("/logout").type("form").send("x=1")).status).toBe(403);
  await agent.get("/api/whoami").expect(200);
});

test("logout ends API access", async () => {
  const app = appUnderTest();
  const { agent } = await login(app, "alice", "alice-pw");
  await agent.get("/api/whoami").expect(200);
  await agent.post("/logout").set(XHR).expect(200);
  const after = await agent.get("/api/whoami");
  expect(after.status).toBe(401);
  expect(after.body.error).toBe("credentials_required");
});
