// Compiled on its own, against the built dist as an app would, by test/types-register.test.ts (a global augmentation would
// leak into the other type tests): registering an Auth types req.auth.user everywhere.
import express from "express";
import { Auth, jwtStrategy, type BaseUser } from "@gatehouse/express";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

const auth = new Auth().authenticate(
  jwtStrategy({
    secret: "a-secret-for-type-tests-only-0123",
    algorithms: ["HS256"],
    verify: (p) => ({ identity: String(p.sub), org: String(p.org) }),
  }),
);

declare module "@gatehouse/express" {
  interface Register {
    auth: typeof auth;
  }
}

const app = express();
app.use(auth.middleware());
app.get("/me", (req, res) => {
  const user = req.auth!.user;
  const org: string = user.org; // no cast
  type _org = Expect<Equal<typeof user.org, string>>;
  type _base = Expect<Equal<typeof user.identity, BaseUser["identity"]>>;
  // @ts-expect-error only registered fields exist
  void user.tenant;
  const ok: [_org, _base] = [true, true];
  res.json({ org, ok });
});
