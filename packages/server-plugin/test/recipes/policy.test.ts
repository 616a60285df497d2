import { Auth, checkPolicy } from "@gatehouse/express";

// The policy under test; in an app, import the function that builds your Auth.
const policy = () =>
  new Auth({ unhandled: "deny" })
    .on("threads:create", ({ user, value }) => {
      value.metadata = { ...value.metadata, owner: user.identity };
    })
    .on("threads", ({ user }) => ({ owner: user.identity }));

test("creating stamps the owner; a spoofed owner is overwritten", async () => {
  const check = await checkPolicy(policy(), "alice", "threads:create", { metadata: { owner: "bob" } });
  expect(check).toMatchObject({ allowed: true, handler: "threads:create", value: { metadata: { owner: "alice" } } });
});

test("reads are scoped to the caller by the resource handler", async () => {
  const check = await checkPolicy(policy(), "bob", "threads:read", { thread_id: "t1" });
  expect(check).toMatchObject({ outcome: "scoped", handler: "threads", filters: { owner: "bob" } });
});

test("crons have no handler, so they are refused", async () => {
  expect(policy().explain("crons:read").handler).toBeNull();
  const check = await checkPolicy(policy(), "bob", "crons:read", { cron_id: "c1" });
  expect(check).toMatchObject({ outcome: "unhandled", allowed: false, status: 403 });
});
