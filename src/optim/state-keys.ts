/**
 * Optimizer and scheduler state dicts keep PyTorch's snake_case keys (`exp_avg`, `weight_decay`,
 * `last_epoch`), like module state dicts, so a checkpoint reads the same on both sides; the
 * TypeScript fields they come from are camelCase. These two functions translate between them.
 */

/** PyTorch names that are not the plain snake_case of our camelCase field. */
const SNAKE_OVERRIDES: Readonly<Record<string, string>> = { tMax: "T_max" };
const CAMEL_OVERRIDES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SNAKE_OVERRIDES).map(([camel, snake]) => [snake, camel]),
);

/** `expAvgSq` -> `exp_avg_sq`; a leading underscore (PyTorch's private fields) is kept. */
export function toSnake(key: string): string {
  const special = SNAKE_OVERRIDES[key];
  if (special !== undefined) return special;
  const lead = /^_*/.exec(key)![0];
  return lead + key.slice(lead.length).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `exp_avg_sq` -> `expAvgSq`. */
export function toCamel(key: string): string {
  const special = CAMEL_OVERRIDES[key];
  if (special !== undefined) return special;
  const lead = /^_*/.exec(key)![0];
  return lead + key.slice(lead.length).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Values that survive `JSON.stringify` unchanged (except ±Infinity, which schedulers handle). */
export type JsonValue = number | boolean | string | null | JsonValue[] | { [key: string]: JsonValue };

/** A deep copy of plain data (arrays and plain objects), so saved and live state never alias. */
export function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyJson(v)])) as T;
  }
  return value;
}
