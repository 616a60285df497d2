/**
 * `auth.explain(event)`: which registered key would decide an event, which
 * more specific keys were looked for first, and what happens when none matches.
 * It reads the registry only; no handler runs.
 */
import type { Unhandled } from "./decision";
import type { Registry, Specificity } from "./registry";

/** One key looked up for an event, most specific first. */
export interface ExplainCandidate {
  key: string;
  level: Specificity;
  registered: boolean;
}

/** What `auth.explain(event)` returns. */
export interface Explanation {
  event: string;
  resource: string;
  action: string;
  /** The key whose handler would run, or null when none matches. */
  handler: string | null;
  /** Its level, or null when none matches. */
  level: Specificity | null;
  /** The four keys in the order they are looked up. */
  candidates: ExplainCandidate[];
  /** What an event no handler matches gets (`new Auth({ unhandled })`). */
  unhandled: Unhandled;
  /** One sentence for a person. */
  reason: string;
}

const LEVELS: readonly Specificity[] = ["resource:action", "resource", "*:action", "*"];

/** Builds the explanation for a concrete event; throws a TypeError for an unknown one, as `guard()` does. */
export function explainEvent(registry: Registry<unknown>, unhandled: Unhandled, event: string): Explanation {
  const entry = registry.resolve(event);
  const { resource, action } = entry;
  const keys = [event, resource, `*:${action}`, "*"];
  const candidates = keys.map((key, i) => ({ key, level: LEVELS[i], registered: registry.has(key) }));
  const chosen = candidates.find((candidate) => candidate.registered);
  const skipped = candidates.slice(0, chosen ? candidates.indexOf(chosen) : candidates.length).map((c) => `"${c.key}"`);
  let reason: string;
  if (!chosen) {
    reason =
      `No handler is registered for ${skipped.join(", ")}: the event is unhandled, so it is ` +
      (unhandled === "allow"
        ? `allowed without a filter (unhandled: "allow").`
        : `refused with 403 (unhandled: "deny").`);
  } else if (skipped.length === 0) {
    reason = `"${chosen.key}" is registered for exactly this event, so its handler runs.`;
  } else {
    reason = `No handler is registered for ${skipped.join(", ")}, so the ${chosen.level === "*" ? "global" : chosen.level} handler "${chosen.key}" runs.`;
  }
  return {
    event,
    resource,
    action,
    handler: chosen?.key ?? null,
    level: chosen?.level ?? null,
    candidates,
    unhandled,
    reason,
  };
}
