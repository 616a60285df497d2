import express, { type Express } from "express";
import jwt from "jsonwebtoken";
import { ExtractJwt, Strategy as JwtStrategy } from "passport-jwt";
import { type Auth, type AuthLogger } from "../../src/index";

export const SECRET = "test-secret-that-is-long-enough-for-hs256";

/** Signs an HS256 token for `sub` with `scopes`. */
export function token(sub: string, scopes: string[] = [], options: jwt.SignOptions = {}): string {
  return jwt.sign({ sub, scopes }, SECRET, { algorithm: "HS256", expiresIn: "5m", ...options });
}

/** A passport-jwt strategy mapping `sub` → identity and `scopes` → permissions. */
export function jwtStrategy(): JwtStrategy {
  return new JwtStrategy(
    { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET, algorithms: ["HS256"] },
    (payload: { sub: string; scopes?: string[] }, done: (err: unknown, user?: unknown) => void) =>
      done(null, { identity: payload.sub, permissions: payload.scopes ?? [] }),
  );
}

/** Collects what Gatehouse reports, so tests can assert on configuration messages. */
export function memoryLogger(): AuthLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, error: (message: string) => void messages.push(message) };
}

/** An Express 5 app with JSON bodies and the given auth's middleware mounted. */
export function appWith(
  auth: Auth<any, any>,
  mount: (app: Express) => void,
  publicPaths: (string | RegExp)[] = ["/health"],
): Express {
  const app = express();
  app.use(express.json());
  app.get("/health", (_req, res) => void res.json({ ok: true }));
  app.use(auth.middleware({ public: publicPaths }));
  mount(app);
  return app;
}
