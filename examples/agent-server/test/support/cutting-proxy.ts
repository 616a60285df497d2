/**
 * Forwarding for the tests' "cutting proxy": passes a request to `origin` and
 * its answer back, or, when `cut`, passes on only the answer's first
 * server-sent event and then drops the connection (a network that fails
 * mid-stream), so a client has to resume.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";

export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
  options: { cut: boolean; dropAfterMs: number },
): void {
  const upstream = http.request(`${origin}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode!, answer.headers);
    if (!options.cut) return void answer.pipe(res);
    let text = "";
    answer.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const end = text.indexOf("\n\n");
      if (end >= 0 && !res.destroyed) {
        res.write(text.slice(0, end + 2));
        setTimeout(() => res.socket?.destroy(), options.dropAfterMs);
      }
    });
  });
  req.pipe(upstream);
}
