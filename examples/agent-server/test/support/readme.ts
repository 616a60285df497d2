import { readFileSync } from "node:fs";
import path from "node:path";

/** packages/client/README.md, whose marked snippets the tests run. */
export const CLIENT_README = path.resolve(__dirname, "../../../../packages/client/README.md");

/**
 * The fenced code block right after `<!-- tested: <name> -->` in the client's
 * README: the tests run exactly what a reader copies.
 */
export function readmeSnippet(name: string): string {
  const text = readFileSync(CLIENT_README, "utf8");
  const marker = `<!-- tested: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${CLIENT_README} has no "${marker}" marker`);
  const block = /^```[a-z]*\n([\s\S]*?)^```$/m.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`${CLIENT_README}: no code block after "${marker}"`);
  return block[1];
}

/** The README's placeholder URL of the agent server, replaced by the test server's. */
export const README_API_URL = "http://127.0.0.1:2024";

/** The thread id the snippets look up; the tests create it as bob's. */
export const README_OTHER_THREAD = "6f1d3c1e-8a53-4a49-9f55-5b1d2a3c4e5f";
