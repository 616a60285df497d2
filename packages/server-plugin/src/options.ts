/**
 * Option objects are checked when a factory runs: a misspelt option name
 * (`unhandeled`, `onDecison`) must be a configuration error at start-up, not a
 * setting silently ignored on every request.
 */

/**
 * Throws a `TypeError` unless `options` is a plain object whose own keys are all
 * in `accepted`; the message names the unknown key and lists the accepted ones.
 *
 * @example
 * checkOptionNames("new Auth(options)", { unhandeled: "allow" }, ["unhandled", "passport"]);
 * // TypeError: new Auth(options): unknown option "unhandeled"; accepted: unhandled, passport
 */
export function checkOptionNames(where: string, options: unknown, accepted: readonly string[]): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!accepted.includes(key)) {
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)}; accepted: ${accepted.join(", ")}`);
    }
  }
}
