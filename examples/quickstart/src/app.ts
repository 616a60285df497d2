// The README's quick start, verbatim between the markers (a test keeps them equal).
// quickstart:start
import express from "express";
import { Auth, errorHandler, jwtStrategy, matchFilters } from "@gatehouse/express";

export function createApp(secret: string) {
  const auth = new Auth({ unhandled: "deny" })
    .authenticate(jwtStrategy({ secret, algorithms: ["HS256"] })) // sub → identity, scopes → permissions
    .on("threads:create", ({ user, value }) => {
      value.metadata = { ...value.metadata, owner: user.identity }; // stamp the owner
    })
    .on("*", ({ user }) => ({ owner: user.identity })); // everything else: only your own

  const threads: { thread_id: string; metadata: Record<string, unknown> }[] = [];
  const app = express();
  app.use(express.json());
  app.get("/health", (_req, res) => {
    res.json({ ok: true });
  });
  app.use(auth.middleware({ public: ["/health"] }));
  app.post("/threads", auth.guard("threads:create"), (req, res) => {
    const thread = {
      thread_id: String(threads.length + 1),
      metadata: (req.body as { metadata: Record<string, unknown> }).metadata,
    };
    threads.push(thread);
    res.json(thread);
  });
  app.get("/threads/:thread_id", auth.guard("threads:read"), (req, res) => {
    const thread = threads.find((t) => t.thread_id === req.params.thread_id);
    if (!thread || !matchFilters(req.auth!.filters, thread.metadata)) {
      res.status(404).json({ error: "not_found", message: "Thread not found" }); // same as missing
      return;
    }
    res.json(thread);
  });
  app.use(errorHandler()); // any error as the same JSON, never a stack
  return app;
}
// quickstart:end

if (require.main === module) {
  const secret = process.env.JWT_SECRET ?? "change-me-to-a-long-random-secret";
  const port = Number(process.env.PORT ?? 3000);
  createApp(secret).listen(port, "127.0.0.1", () => console.log(`quickstart on http://127.0.0.1:${port}`));
}
