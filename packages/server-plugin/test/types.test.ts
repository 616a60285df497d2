/**
 * Type tests: compile-time assertions that ts-jest type-checks. A regression in
 * the public types fails this file (an unmet `@ts-expect-error` or a false
 * `Expect<Equal<…>>` is a compile error), so the run fails.
 */
import type { Request } from "express";
import { Passport } from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import {
  Auth,
  jwtStrategy as gatehouseJwt,
  mapUser,
  type AuthContext,
  type BaseUser,
  type EventKey,
  type Filters,
  type BuiltinResources,
  type JwtUser,
  type TypedStrategy,
} from "../src/index";
import { jwtStrategy } from "./support/jwt-app";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
const check = <T>(_value: T): void => undefined;

test("user type follows the authenticate step", () => {
  const fromFunction = new Auth().authenticate(() => Promise.resolve({ identity: "x", org: "acme", level: 3 }));
  fromFunction.on("threads:read", ({ user: _user }) => {
    type _org = Expect<Equal<typeof _user.org, string>>;
    type _level = Expect<Equal<typeof _user.level, number>>;
    type _identity = Expect<Equal<typeof _user.identity, string>>;
    type _perms = Expect<Equal<typeof _user.permissions, string[]>>;
    check<[_org, _level, _identity, _perms]>([true, true, true, true]);
  });

  const fromString = new Auth().authenticate(() => "alice");
  fromString.on("*", ({ user }) => {
    type _u = Expect<Equal<typeof user, BaseUser>>;
    check<_u>(true);
    // @ts-expect-error a string identity gives no extra fields
    void user.org;
  });

  const fromStrategy = new Auth().authenticate<{ identity: string; tenant: string }>(jwtStrategy());
  fromStrategy.on("threads", ({ user: _user }) => {
    type _t = Expect<Equal<typeof _user.tenant, string>>;
    check<_t>(true);
  });
  expect(fromStrategy).toBeInstanceOf(Auth);
});

test("strategies carry their user type to every handler, without a type argument", () => {
  const secret = "a-secret-for-type-tests-only-0123";
  const passport = new Passport(); // registers "session"
  // jwtStrategy's verify decides the user type.
  const jwt = gatehouseJwt({
    secret,
    algorithms: ["HS256"],
    verify: (payload) => ({ identity: String(payload.sub), org: "acme" as const, seats: 3 }),
  });
  new Auth().authenticate(jwt).on("threads", ({ user: _user }) => {
    type _org = Expect<Equal<typeof _user.org, "acme">>;
    type _seats = Expect<Equal<typeof _user.seats, number>>;
    type _perms = Expect<Equal<typeof _user.permissions, string[]>>;
    check<[_org, _seats, _perms]>([true, true, true]);
  });
  // The default verify: JwtUser.
  const plain = gatehouseJwt({ secret, algorithms: ["HS256"] });
  type _plain = Expect<Equal<typeof plain, TypedStrategy<JwtUser>>>;
  check<_plain>(true);
  // mapUser types the mapping; an array gives the union of its strategies' users.
  type AppUser = { id: number; email: string };
  const session = mapUser("session", (u: AppUser) => ({ identity: String(u.id), email: u.email }));
  new Auth({ passport }).authenticate([session, plain]).on("*", ({ user }) => {
    type _union = Expect<Equal<typeof user.identity, string>>;
    check<_union>(true);
    if ("email" in user) check<string>(user.email);
    // @ts-expect-error only the session's users have an email
    void user.email;
  });
  // An untyped Passport strategy or a strategy name gives BaseUser; a type argument still works.
  new Auth({ passport }).authenticate("session").on("*", ({ user: _user }) => {
    type _base = Expect<Equal<typeof _user, BaseUser>>;
    check<_base>(true);
  });
  new Auth().authenticate(new LocalStrategy(() => undefined)).on("*", ({ user: _user }) => {
    type _base = Expect<Equal<typeof _user, BaseUser>>;
    check<_base>(true);
  });
  new Auth({ passport }).authenticate<{ identity: string; team: string }>("session").on("*", ({ user }) => {
    check<string>(user.team);
  });
  // @ts-expect-error mapUser's function must take the strategy's user
  mapUser(jwt, (u: { nope: number }) => String(u.nope));
  expect(mapUser(plain, (u) => u.identity)).toBeDefined();
});

test("value is typed per event key", () => {
  const auth = new Auth().authenticate(() => "alice");
  auth.on("threads:create", ({ value, event: _event, resource: _resource, action: _action }) => {
    type _e = Expect<Equal<typeof _event, "threads:create">>;
    type _r = Expect<Equal<typeof _resource, "threads">>;
    type _a = Expect<Equal<typeof _action, "create">>;
    check<[_e, _r, _a]>([true, true, true]);
    value.metadata = { ...value.metadata, owner: "alice" };
    check<string | undefined>(value.thread_id);
  });
  auth.on("store:put", ({ value }) => {
    check<string[]>(value.namespace);
    check<string>(value.key);
  });
  auth.on("*:delete", ({ event: _event }) => {
    type _e = Expect<Equal<typeof _event, "threads:delete" | "assistants:delete" | "crons:delete" | "store:delete">>;
    check<_e>(true);
  });
  auth.on("store", ({ action: _action }) => {
    type _a = Expect<Equal<typeof _action, "put" | "get" | "search" | "delete" | "list_namespaces">>;
    check<_a>(true);
  });
  auth.on(["assistants:create", "crons:create"], ({ event: _event }) => {
    type _e = Expect<Equal<typeof _event, "assistants:create" | "crons:create">>;
    check<_e>(true);
  });
  expect(auth).toBeInstanceOf(Auth);
});

test("unknown event keys and non-concrete guards are compile errors", () => {
  const auth = new Auth({ unhandled: "allow" });
  expect(() => {
    // @ts-expect-error unknown resource
    auth.on("thread:create", () => true);
  }).toThrow();
  expect(() => {
    // @ts-expect-error unknown action
    auth.on("threads:craete", () => true);
  }).toThrow();
  expect(() => {
    // @ts-expect-error a guard needs a concrete resource:action
    auth.guard("threads");
  }).toThrow();
  // @ts-expect-error handlers return allow/deny/filters, not strings
  auth.on("threads:read", () => "yes");
  type Keys = EventKey<BuiltinResources>;
  type _k = Expect<
    Equal<
      Extract<Keys, "*" | "threads" | "*:create" | "store:list_namespaces">,
      "*" | "threads" | "*:create" | "store:list_namespaces"
    >
  >;
  check<_k>(true);
});

test("applications add resources through the generic parameter", async () => {
  type Docs = { documents: { read: { id: string }; share: { id: string; with: string } } };
  const auth = new Auth<Docs>({ resources: { documents: ["read", "share"] }, unhandled: "allow" }).authenticate(
    () => "alice",
  );
  auth.on("documents:share", ({ value }) => {
    check<string>(value.with);
    return value.with !== "mallory";
  });
  auth.on("documents", ({ value }) => {
    check<string>(value.id);
  });
  // @ts-expect-error "write" was not declared
  expect(() => auth.on("documents:write", () => true)).toThrow();
  // @ts-expect-error the resources option must match the generic parameter
  expect(() => new Auth<Docs>({ resources: { documents: ["read", "publish"] } })).not.toThrow();
  const context: AuthContext = {
    user: { identity: "alice", permissions: [], is_authenticated: true, display_name: "alice" },
    permissions: [],
  };
  // @ts-expect-error authorize checks the value's type for the event
  await expect(auth.authorize(context, "documents:share", { id: 1 })).resolves.toEqual({ filters: {} });
  await expect(auth.authorize(context, "documents:share", { id: "d", with: "bob" })).resolves.toEqual({ filters: {} });
});

test("req.auth is typed through Express declaration merging", () => {
  const handler = (req: Request) => {
    const _auth = req.auth;
    type _a = Expect<Equal<typeof _auth, AuthContext | undefined>>;
    check<_a>(true);
    const filters: Filters | undefined = req.auth?.filters;
    return [req.auth?.user.identity, req.auth?.permissions, filters];
  };
  expect(handler({ auth: undefined } as Request)).toEqual([undefined, undefined, undefined]);
});
