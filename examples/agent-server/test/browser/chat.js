// The chat page of client-browser-stream.e2e.test.ts, run by Chromium: it streams a run from the
// agent server (another origin) with the bundled client and renders each part as it arrives.
// Inputs in the page URL: api (the server, or a proxy in front of it), token, say, and drop: a URL
// to POST to once the first part is rendered (the cutting proxy then drops the connection).
import { bearer, createClient } from "/gatehouse-client.js";

const params = new URLSearchParams(location.search);
const client = createClient({ baseURL: params.get("api"), credentials: bearer(params.get("token")) });
const partsList = document.getElementById("parts");
const messages = document.getElementById("messages");

function render(part) {
  const item = document.createElement("li");
  item.textContent = `${part.id ?? "-"} ${part.event}`;
  partsList.append(item);
  if (part.event !== "values") return;
  messages.replaceChildren(
    ...part.data.messages.map((m) => {
      const line = document.createElement("p");
      line.textContent = `${m.type}: ${m.content}`;
      return line;
    }),
  );
}

window.chat = (async () => {
  const thread = await client.threads.create({ metadata: { topic: "chat" } });
  const input = { messages: [{ role: "user", content: params.get("say") }] };
  for await (const part of client.runs.stream(
    thread.thread_id,
    { assistant_id: "echo", input, stream_mode: ["updates", "values"] },
    { reconnect: { baseDelay: 20 } },
  )) {
    render(part);
    if (params.get("drop") && partsList.children.length === 1) await fetch(params.get("drop"), { method: "POST" });
  }
  const stateless = [];
  for await (const part of client.runs.stream(null, { assistant_id: "echo", input })) stateless.push(part.event);
  return { threadId: thread.thread_id, stateless };
})();
