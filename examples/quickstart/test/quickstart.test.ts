import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
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
    const created = await request(app).post("/threads").set("Authorization", bearer("alice")).send({ metadata: { topic: "tax", owner: "bob" } });
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
    const code = file.slice(file.indexOf("// quickstart:start\n") + "// quickstart:start\n".length, file.indexOf("// quickstart:end"));
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(code.length).toBeGreaterThan(500);
    expect(readme).toContain(code.trim());
  });
});

describe("the packed @gatehouse/express", () => {
  test("installs from its tarball and works in a blank Express app", () => {
    const dist = join(root, "packages/server-plugin/dist/index.js");
    if (!existsSync(dist)) throw new Error("packages/server-plugin/dist is missing: run `npm run build` (npm test does) first");
    const work = mkdtempSync(join(tmpdir(), "gatehouse-pack-"));
    try {
      const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", work, "-w", "packages/server-plugin"], { cwd: root, encoding: "utf8" });
      const tarball = join(work, out.trim().split("\n").pop()!);
      const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
      expect(files).toEqual(expect.arrayContaining(["package/dist/index.js", "package/dist/index.d.ts", "package/README.md", "package/package.json"]));
      expect(files.filter((f) => /\.test\.|\/test\/|\/src\//.test(f))).toEqual([]);
      // A blank app: the tarball unpacked as node_modules/@gatehouse/express, its dependencies from this install.
      const app = join(work, "app");
      mkdirSync(join(app, "node_modules/@gatehouse/express"), { recursive: true });
      execFileSync("tar", ["-xzf", tarball, "-C", join(app, "node_modules/@gatehouse/express"), "--strip-components=1"]);
      for (const dep of ["express", "passport", "passport-strategy", "passport-jwt", "jsonwebtoken"]) symlinkSync(join(root, "node_modules", dep), join(app, "node_modules", dep));
      const script = `
        const express = require("express");
        const { Auth } = require("@gatehouse/express");
        const auth = new Auth().authenticate(async (req) => { if (req.headers["x-user"]) return String(req.headers["x-user"]); const { HTTPException } = require("@gatehouse/express"); throw new HTTPException(401); })
          .on("*", ({ user }) => ({ owner: user.identity }));
        const app = express();
        app.use(auth.middleware());
        app.get("/threads/:thread_id", auth.guard("threads:read"), (req, res) => res.json(req.auth));
        const server = app.listen(0, "127.0.0.1", async () => {
          const base = "http://127.0.0.1:" + server.address().port + "/threads/t1";
          const ok = await fetch(base, { headers: { "x-user": "zoe" } });
          const no = await fetch(base);
          console.log(JSON.stringify({ ok: ok.status, body: await ok.json(), no: no.status }));
          server.close();
        });`;
      const result = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: app, encoding: "utf8" }).trim());
      expect(result).toEqual({ ok: 200, no: 401, body: { user: { identity: "zoe", permissions: [], is_authenticated: true, display_name: "zoe" }, permissions: [], filters: { owner: "zoe" } } });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
