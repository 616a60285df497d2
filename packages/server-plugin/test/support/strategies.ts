import { Strategy as BearerStrategy } from "passport-http-bearer";
import { HeaderAPIKeyStrategy } from "passport-headerapikey";
import type { Request } from "express";
import { Strategy } from "passport-strategy";

/** passport-http-bearer, unmodified, accepting the tokens in `tokens`. */
export function bearerStrategy(tokens: Record<string, string>): BearerStrategy<never> {
  return new BearerStrategy((token: string, done: (err: unknown, user?: unknown) => void) => {
    const identity = tokens[token];
    if (!identity) return done(null, false);
    return done(null, { identity, permissions: ["threads:read"] });
  });
}

/** passport-headerapikey, unmodified, reading `X-Api-Key`. */
export function apiKeyStrategy(keys: Record<string, string>): HeaderAPIKeyStrategy {
  return new HeaderAPIKeyStrategy(
    { header: "X-Api-Key", prefix: "" },
    false,
    (apiKey: string, done: (err: Error | null, user?: object | false) => void) => {
      const identity = keys[apiKey];
      return identity ? done(null, { identity, via: "api-key" }) : done(null, false);
    },
  );
}

export type Outcome =
  | { kind: "success"; user: unknown }
  | { kind: "fail"; challenge?: unknown; status?: number }
  | { kind: "error"; error: unknown }
  | { kind: "pass" }
  | { kind: "redirect"; url: string }
  | { kind: "throw"; error: unknown }
  | { kind: "async-success"; user: unknown }
  | { kind: "async-fail"; challenge?: unknown }
  | { kind: "twice" };

/**
 * A custom Strategy subclass whose outcome the request chooses through the
 * `x-outcome` header (a key of `outcomes`): every Passport outcome on demand.
 */
export class ScriptedStrategy extends Strategy {
  name = "scripted";
  constructor(private readonly outcomes: Record<string, Outcome>) {
    super();
  }
  override authenticate(req: Request): void {
    // passport-strategy's typings declare narrower overloads than Passport's runtime contract.
    const self = this as unknown as Record<
      "success" | "fail" | "error" | "pass" | "redirect",
      (...args: unknown[]) => void
    >;
    const outcome = this.outcomes[String(req.headers["x-outcome"] ?? "")];
    if (!outcome) return self.fail();
    switch (outcome.kind) {
      case "success":
        return self.success(outcome.user);
      case "fail":
        return outcome.status === undefined
          ? self.fail(outcome.challenge)
          : self.fail(outcome.challenge, outcome.status);
      case "error":
        return self.error(outcome.error);
      case "pass":
        return self.pass();
      case "redirect":
        return self.redirect(outcome.url);
      case "throw":
        throw outcome.error;
      case "async-success":
        setImmediate(() => self.success(outcome.user));
        return;
      case "async-fail":
        setImmediate(() => self.fail(outcome.challenge));
        return;
      case "twice":
        self.success({ identity: "first" });
        self.fail('Bearer realm="twice"');
        return;
    }
  }
}
