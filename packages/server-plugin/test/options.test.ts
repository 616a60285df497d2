import { Auth } from "../src/index";
import { jwtStrategy } from "./support/jwt-app";

describe("unknown option names are configuration errors, with the accepted list", () => {
  test.each([
    [
      { unhandeled: "allow" },
      /new Auth\(options\): unknown option "unhandeled"; accepted: unhandled, passport, resources, realm, timeoutMs, logger/,
    ],
    [{ onDecison: () => undefined }, /unknown option "onDecison"/],
    [{ unhandled: "deny", timeout: 5 }, /unknown option "timeout"/],
  ])("new Auth(%p) throws", (options, message) => {
    expect(() => new Auth(options as never)).toThrow(message);
  });

  test("new Auth() refuses non-object options", () => {
    for (const options of [null, 1, "deny", []])
      expect(() => new Auth(options as never)).toThrow(/new Auth\(options\): options must be an object/);
  });

  test("auth.middleware() and auth.guard() refuse misspelt options", () => {
    const auth = new Auth().authenticate(jwtStrategy());
    expect(() => auth.middleware({ publc: ["/health"] } as never)).toThrow(
      /auth\.middleware\(options\): unknown option "publc"; accepted: public/,
    );
    expect(() => auth.guard("threads:read", { values: () => ({}) } as never)).toThrow(
      /auth\.guard\("threads:read", options\): unknown option "values"; accepted: value/,
    );
  });

  test("the accepted names still work", () => {
    const auth = new Auth({ unhandled: "allow", realm: "r", timeoutMs: 0, logger: console }).authenticate(
      jwtStrategy(),
    );
    expect(typeof auth.middleware({ public: ["/health"] })).toBe("function");
    expect(typeof auth.guard("threads:read", { value: () => ({ thread_id: "t" }) })).toBe("function");
  });
});
