/**
 * README recipe "Cookie sessions": an existing app with express-session and a
 * passport-local login puts Gatehouse in front of its API. Tests run this file
 * (test/recipes/session.test.ts) and check that the README shows the marked part.
 */
// recipe:start
import express from "express";
import session from "express-session";
import { Passport } from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { Auth, mapUser, matchFilters } from "@gatehouse/express";

/** The app's own user, as its login code knows it. */
export interface AppUser {
  id: number;
  username: string;
  password: string;
  roles: string[];
}

export function createSessionApp(users: readonly AppUser[], sessionSecret: string) {
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) =>
      done(null, users.find((u) => u.username === username && u.password === password) ?? false),
    ),
  );
  passport.serializeUser<number>((user, done) => done(null, (user as AppUser).id));
  passport.deserializeUser<number>((id, done) => done(null, users.find((u) => u.id === id) ?? false));

  const app = express();
  app.use(express.json());
  app.use(
    session({
      secret: sessionSecret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: "lax", secure: process.env.NODE_ENV === "production" },
    }),
  );
  app.use(passport.initialize());
  // CSRF: an unsafe request must carry a header that a cross-site form cannot send
  // (and that a cross-origin script can only send after a CORS preflight you allowed).
  app.use((req, res, next) => {
    if (["GET", "HEAD", "OPTIONS"].includes(req.method) || req.get("X-Requested-With") === "XMLHttpRequest")
      return next();
    res.status(403).json({ error: "forbidden", message: "Send the X-Requested-With: XMLHttpRequest header" });
  });
  app.post(
    "/login",
    passport.authenticate("local", { failWithError: true }) as express.RequestHandler,
    (_req, res) => void res.json({ ok: true }),
  );
  app.post("/logout", (req, res, next) => req.logout((err) => (err ? next(err) : res.json({ ok: true }))));

  const auth = new Auth({ passport })
    // req.user stays the session's AppUser; handlers and req.auth.user get this mapping, typed.
    .authenticate(
      mapUser("session", (user: AppUser) => ({
        identity: String(user.id),
        permissions: user.roles,
        username: user.username,
      })),
    )
    .on("threads:create", ({ user, value }) => {
      value.metadata = { ...value.metadata, owner: user.identity };
    })
    .on("threads", ({ user }) => ({ owner: user.identity }));

  const threads = new Map<string, { thread_id: string; metadata: Record<string, unknown> }>();
  app.use("/api", auth.middleware()); // no session: 401 JSON, never a redirect
  app.post("/api/threads", auth.guard("threads:create"), (req, res) => {
    const { metadata } = req.body as { metadata: Record<string, unknown> };
    const thread = { thread_id: crypto.randomUUID(), metadata };
    threads.set(thread.thread_id, thread);
    res.json(thread);
  });
  app.get("/api/threads/:thread_id", auth.guard("threads:read"), (req, res) => {
    const thread = threads.get(String(req.params.thread_id));
    if (!thread || !matchFilters(req.auth!.filters, thread.metadata))
      return void res.status(404).json({ error: "not_found" });
    res.json(thread);
  });
  return app;
}
// recipe:end
