/**
 * Own-property helpers for objects built from untrusted keys: a key such as
 * `__proto__` is read and written as plain data, never as the prototype.
 */

// Reading: `Object.hasOwn(obj, key)` (inherited keys do not count).

/** Sets `target[key] = value` as an own data property, `__proto__` included. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
