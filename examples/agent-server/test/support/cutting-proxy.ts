/**
 * Forwarding for the tests' "cutting proxy": passes a request to `origin` and
 * its answer back, or, when `cut` is given, passes on only the answer's first
 * server-sent event and drops the connection when the test says so (a network
 * that fails mid-stream), so a client has to resume.
 *
 * The test drops the connection only after the client has taken the first
 * event: a stream that errors discards the chunks its reader has not read yet,
 * so a drop on a timer would race the client on a busy machine.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";

export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
  cut?: { onFirstEvent: (drop: () => void) => void },
): void {
  const upstream = http.request(`${origin}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode!, answer.headers);
    if (!cut) return void answer.pipe(res);
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const end = text.indexOf("\n\n");
      if (end < 0) return;
      answer.off("data", onData); // the rest of the stream never reaches the client
      answer.resume();
      res.write(text.slice(0, end + 2));
      cut.onFirstEvent(() => res.socket?.destroy());
    };
    answer.on("data", onData);
  });
  req.pipe(upstream);
}
