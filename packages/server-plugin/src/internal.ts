/**
 * `@gatehouse/express/internal`: the building blocks under the public API, for
 * Gatehouse's own benchmarks and tests. Not part of the public API: names and
 * signatures may change in any release, without a major version.
 */
export { decide } from "./decision";
