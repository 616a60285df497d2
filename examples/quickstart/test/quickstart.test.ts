import { readFileSync } from "node:fs";
import { join } from "node:path";
import jwt from "jsonwebtoken";
import request from "supertest";
import { createApp } from "../src/app";

const root = join(__dirname, "../../..");
const secret = "quickstart-test-secret-0123456789";
const bearer = (sub: string) => `Bearer ${jwt.sign({ sub }, secret, { algorithm: "HS256", expiresIn: "1m" })}`;

describe("the README quick start", () => {
  const app = createApp(secret);

  test("runs as written: one user's thread is invisible to another", async () => {
    const created = await request(app)
      .post("/threads")
      .set("Authorization", bearer("alice"))
      .send({ metadata: { topic: "tax", owner: "bob" } });
    expect(created.status).toBe(200);
    expect(created.body.metadata).toEqual({ topic: "tax", owner: "alice" });
    const id = created.body.thread_id as string;
    expect((await request(app).get(`/threads/${id}`).set("Authorization", bearer("alice"))).status).toBe(200);
    const foreign = await request(app).get(`/threads/${id}`).set("Authorization", bearer("bob"));
    const missing = await request(app).get("/threads/999").set("Authorization", bearer("bob"));
    expect([foreign.status, foreign.body]).toEqual([missing.status, missing.body]);
    expect(foreign.status).toBe(404);
    expect((await request(app).get("/health")).status).toBe(200);
    expect((await request(app).get(`/threads/${id}`)).status).toBe(401);
  });

  test("the README shows exactly this file's code", () => {
    const file = readFileSync(join(__dirname, "../src/app.ts"), "utf8");
    const code = file.slice(
      file.indexOf("// quickstart:start\n") + "// quickstart:start\n".length,
      file.indexOf("// quickstart:end"),
    );
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(code.length).toBeGreaterThan(500);
    expect(readme).toContain(code.trim());
  });
});
