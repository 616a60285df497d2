/**
 * The authenticate step's identity rules: Passport's session strategy (pass() with
 * req.user) authenticates, the app's user object stays on req.user, mapUser() maps
 * it; every 401 has a challenge, also one thrown by an authenticate function.
 */
import express from "express";
import session from "express-session";
import { Passport } from "passport";
import request from "supertest";
import { Auth, HTTPException, mapUser } from "../src/index";
import { memoryLogger } from "./support/jwt-app";
import { apiKeyStrategy } from "./support/strategies";

class AccountUser {
  constructor(
    readonly identity: string,
    readonly plan: string,
  ) {}
  greet(): string {
    return `hi ${this.identity}`;
  }
}

/** An app whose session is logged in as `sessionUser` when the request has `x-login`. */
function sessionApp(
  authenticate: (auth: Auth, passport: InstanceType<typeof Passport>) => Auth<any, any>,
  users: Record<string, unknown>,
) {
  const passport = new Passport();
  passport.deserializeUser((id: string, done) => done(null, users[id] ?? false));
  const logger = memoryLogger();
  const auth = authenticate(new Auth({ passport, logger, unhandled: "allow" }), passport);
  const app = express();
  app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
  app.use((req, _res, next) => {
    const id = req.get("x-login");
    if (id) (req.session as unknown as Record<string, unknown>).passport = { user: id };
    next();
  });
  app.use(auth.middleware());
  app.get(
    "/me",
    (req, res) =>
      void res.json({
        auth: req.auth!.user,
        sameObject: req.user === users[String(req.get("x-login"))],
        greet: (req.user as AccountUser).greet?.(),
      }),
  );
  return { app, logger };
}

test('authenticate("session"): a restored login is the user; req.user stays the app\'s object (methods included)', async () => {
  const users = { a1: new AccountUser("alice", "pro") };
  const { app } = sessionApp((auth) => auth.authenticate("session"), users);
  const res = await request(app).get("/me").set("x-login", "a1").expect(200);
  expect(res.body).toEqual({
    auth: { identity: "alice", permissions: [], is_authenticated: true, display_name: "alice", plan: "pro" },
    sameObject: true,
    greet: "hi alice",
  });
  const none = await request(app).get("/me").expect(401);
  expect(none.body.error).toBe("credentials_required");
  expect(none.headers["www-authenticate"]).toBe('Session realm="api"');
  // A session whose user no longer exists (deserializeUser gives false) is no login.
  expect((await request(app).get("/me").set("x-login", "gone")).status).toBe(401);
});

test("with passport.session() mounted app-wide as well, the login still authenticates once restored", async () => {
  const users: Record<string, AccountUser> = { a1: new AccountUser("alice", "pro") };
  const passport = new Passport();
  let deserialized = 0;
  passport.deserializeUser((id: string, done) => {
    deserialized++;
    done(null, users[id] ?? false);
  });
  const auth = new Auth({ passport, unhandled: "allow" }).authenticate("session");
  const app = express();
  app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
  app.use((req, _res, next) => {
    if (req.get("x-login")) (req.session as unknown as Record<string, unknown>).passport = { user: req.get("x-login") };
    next();
  });
  app.use(passport.initialize(), passport.session());
  app.use(auth.middleware());
  app.get("/me", (req, res) => void res.json({ identity: req.auth!.user.identity, same: req.user === users.a1 }));
  expect((await request(app).get("/me").set("x-login", "a1").expect(200)).body).toEqual({
    identity: "alice",
    same: true,
  });
  expect(deserialized).toBe(2); // once by passport.session(), once by the session strategy Gatehouse runs
  expect((await request(app).get("/me")).status).toBe(401);
});

test("a req.user set by something other than a session login is not believed", async () => {
  const passport = new Passport();
  passport.deserializeUser((id: string, done) => done(null, { identity: id }));
  const auth = new Auth({ passport, unhandled: "allow" }).authenticate("session");
  const app = express();
  app.use(session({ secret: "s", resave: false, saveUninitialized: false }));
  app.use((req, _res, next) => {
    (req as unknown as Record<string, unknown>).user = { identity: "injected" };
    next();
  });
  app.use(auth.middleware());
  app.get("/me", (_req, res) => void res.json({ ok: true }));
  expect((await request(app).get("/me")).status).toBe(401);
});

test("a session user without identity is a 500 whose log says to use mapUser(); with mapUser it works", async () => {
  const users = { u1: { id: 7, name: "Carol" } };
  const plain = sessionApp((auth) => auth.authenticate("session"), users);
  expect((await request(plain.app).get("/me").set("x-login", "u1")).status).toBe(500);
  expect(plain.logger.messages.join("\n")).toMatch(/mapUser\("session"/);
  const mapped = sessionApp(
    (auth) =>
      auth.authenticate(
        mapUser("session", (u: { id: number; name: string }) => ({ identity: `user-${u.id}`, name: u.name })),
      ),
    users,
  );
  const res = await request(mapped.app).get("/me").set("x-login", "u1").expect(200);
  expect(res.body.auth).toMatchObject({ identity: "user-7", name: "Carol" });
  expect(res.body.sameObject).toBe(true);
});

test("session first, API key second: either authenticates; a rejected key is invalid_token with both challenges", async () => {
  const users = { a1: new AccountUser("alice", "pro") };
  const { app } = sessionApp((auth) => auth.authenticate(["session", apiKeyStrategy({ k1: "svc" })]), users);
  await request(app).get("/me").set("x-login", "a1").expect(200);
  expect((await request(app).get("/me").set("X-Api-Key", "k1").expect(200)).body.auth.identity).toBe("svc");
  const wrong = await request(app).get("/me").set("X-Api-Key", "nope").expect(401);
  expect(wrong.body).toEqual({ error: "invalid_token", message: "The credentials are invalid" });
  expect(wrong.headers["www-authenticate"]).toBe(
    'Session realm="api", ApiKey header="X-API-Key", realm="api", error="invalid_token"',
  );
});

test("a 401 HTTPException from an authenticate function gets a challenge; its own challenge is kept", async () => {
  const withoutChallenge = new Auth().authenticate(() => {
    throw new HTTPException(401, { message: "Unknown API key" });
  });
  const app = express().use(withoutChallenge.middleware());
  const bare = await request(app).get("/x").expect(401);
  expect(bare.headers["www-authenticate"]).toBe('Bearer realm="api"');
  expect(bare.body.message).toBe("Unknown API key");
  const sent = await request(app).get("/x").set("Authorization", "Bearer x").expect(401);
  expect(sent.headers["www-authenticate"]).toBe(
    'Bearer realm="api", error="invalid_token", error_description="The credentials are invalid"',
  );

  const own = new Auth().authenticate(() =>
    Promise.reject(new HTTPException(401, { headers: { "WWW-Authenticate": 'ApiKey header="X-Key"' } })),
  );
  const ownApp = express().use(own.middleware());
  expect((await request(ownApp).get("/x").expect(401)).headers["www-authenticate"]).toBe('ApiKey header="X-Key"');
});

test("rejected credentials are described to logger.debug, never to the caller", async () => {
  const lines: string[] = [];
  const auth = new Auth({ logger: { error: () => undefined, debug: (m: string) => void lines.push(m) } }).authenticate(
    apiKeyStrategy({ k1: "svc" }),
  );
  const app = express().use(auth.middleware());
  await request(app).get("/x").set("X-Api-Key", "nope").expect(401);
  expect(lines).toEqual([expect.stringContaining('strategy "headerapikey"')]);
});

test("an identity with NUL or a lone surrogate, from any strategy or function, is 401 invalid_token (not a 500 later)", async () => {
  for (const identity of ["ali\u0000ce", "ali\ud800ce", "\udc00"]) {
    const fromFunction = new Auth().authenticate(() => identity);
    const res = await request(express().use(fromFunction.middleware())).get("/x").expect(401);
    expect(res.body).toEqual({ error: "invalid_token", message: "The credentials are invalid" });
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="api", error="invalid_token"/);
    const fromStrategy = new Auth().authenticate(apiKeyStrategy({ k: identity }));
    await request(express().use(fromStrategy.middleware())).get("/x").set("X-Api-Key", "k").expect(401);
  }
  const fine = new Auth().authenticate(() => "ali😀ce");
  await request(
    express()
      .use(fine.middleware())
      .get("/x", (_req, res) => void res.json({})),
  )
    .get("/x")
    .expect(200);
});
