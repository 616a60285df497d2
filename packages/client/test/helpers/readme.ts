import { readFileSync } from "node:fs";
import path from "node:path";

/** The fenced code block right after `<!-- tested: <name> -->` in this package's README. */
export function readmeSnippet(name: string): string {
  const file = path.resolve(__dirname, "../../README.md");
  const text = readFileSync(file, "utf8");
  const marker = `<!-- tested: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file} has no "${marker}" marker`);
  const block = /^```[a-z]*\n([\s\S]*?)^```$/m.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`${file}: no code block after "${marker}"`);
  return block[1];
}
