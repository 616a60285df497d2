/**
 * Handler registration and most-specific resolution. For `resource:action` the
 * handler that runs is the first registered of `resource:action`, `resource`,
 * `*:action`, `*`. Resolution is four map lookups at most, cached per event,
 * so its cost does not depend on how many handlers are registered.
 */

/** The four registration levels, most specific first. */
export type Specificity = "resource:action" | "resource" | "*:action" | "*";

/** A concrete event, split, with the handler that runs for it (if any). */
export interface Resolved<H> {
  readonly event: string;
  readonly resource: string;
  readonly action: string;
  readonly handler: H | undefined;
  /** The registered key that `handler` came from (e.g. `"threads"`, `"*"`), or undefined. */
  readonly key: string | undefined;
}

/** Registered handlers for events of an application's resources. */
export class Registry<H> {
  private readonly handlers = new Map<string, H>();
  private readonly resolved = new Map<string, Resolved<H>>();
  private readonly allActions = new Set<string>();

  /** @param resources resource → its actions (built-ins plus the application's own). */
  constructor(private readonly resources: ReadonlyMap<string, ReadonlySet<string>>) {
    for (const actions of resources.values()) for (const action of actions) this.allActions.add(action);
  }

  /** Validates an event key and says which level it registers at. Throws a TypeError naming the fix. */
  classify(key: string): Specificity {
    if (typeof key !== "string")
      throw new TypeError(`An event key must be a string such as "threads:create", got ${typeof key}`);
    if (key === "*") return "*";
    const colon = key.indexOf(":");
    if (colon === -1) {
      if (!this.resources.has(key))
        throw new TypeError(`Unknown resource "${key}". Known resources: ${[...this.resources.keys()].join(", ")}`);
      return "resource";
    }
    const resource = key.slice(0, colon);
    const action = key.slice(colon + 1);
    if (resource === "*") {
      if (!this.allActions.has(action))
        throw new TypeError(
          `Unknown action "${action}" in "${key}". Known actions: ${[...this.allActions].join(", ")}`,
        );
      return "*:action";
    }
    const actions = this.resources.get(resource);
    if (!actions)
      throw new TypeError(
        `Unknown resource "${resource}" in "${key}". Known resources: ${[...this.resources.keys()].join(", ")}`,
      );
    if (!actions.has(action))
      throw new TypeError(
        `Unknown action "${action}" for resource "${resource}". Its actions: ${[...actions].join(", ")}`,
      );
    return "resource:action";
  }

  /** Registers a handler under one or more keys, all or none; a key registered twice throws. */
  add(keys: string | readonly string[], handler: H): void {
    const list = typeof keys === "string" ? [keys] : keys;
    const fresh = new Set<string>();
    for (const key of list) {
      this.classify(key);
      if (this.handlers.has(key) || fresh.has(key)) {
        throw new TypeError(
          `A handler for "${key}" is already registered. Exactly one handler runs per event, so register each key once`,
        );
      }
      fresh.add(key);
    }
    for (const key of fresh) this.handlers.set(key, handler);
    this.resolved.clear();
  }

  /** Throws unless `event` is a concrete `resource:action` of a known resource. */
  assertConcrete(event: string): void {
    if (typeof event !== "string" || this.classify(event) !== "resource:action") {
      throw new TypeError(`Expected a concrete event such as "threads:read", got ${JSON.stringify(event)}`);
    }
  }

  /**
   * The most specific handler for a concrete event (`resource:action`), with the
   * event split once. Throws for an unknown event; cached until the next `add`.
   */
  resolve(event: string): Resolved<H> {
    let entry = this.resolved.get(event);
    if (entry === undefined) {
      this.assertConcrete(event);
      const colon = event.indexOf(":");
      const resource = event.slice(0, colon);
      const action = event.slice(colon + 1);
      const key = [event, resource, `*:${action}`, "*"].find((candidate) => this.handlers.has(candidate));
      entry = { event, resource, action, handler: key === undefined ? undefined : this.handlers.get(key), key };
      this.resolved.set(event, entry);
    }
    return entry;
  }

  /** Whether a handler is registered under exactly this key. */
  has(key: string): boolean {
    return this.handlers.has(key);
  }

  /** How many handlers are registered. */
  get size(): number {
    return this.handlers.size;
  }
}
