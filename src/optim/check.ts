/** Hyper-parameter checks shared by the optimizers; messages name the optimizer, the option and the value. */

function fail(name: string, label: string, value: unknown, rule: string, where: string): never {
  throw new RangeError(`${name}: invalid ${label} ${String(value)} in ${where} (${rule})`);
}

/** A finite or infinite number >= 0 (NaN and non-numbers fail). */
export function checkNonNegative(name: string, label: string, value: unknown, where: string): void {
  if (typeof value !== "number" || !(value >= 0)) fail(name, label, value, "must be a number >= 0", where);
}

/** A number in [0, 1), as Adam's betas. */
export function checkUnitInterval(name: string, label: string, value: unknown, where: string): void {
  if (typeof value !== "number" || !(value >= 0 && value < 1)) fail(name, label, value, "must be in [0, 1)", where);
}

export function checkBoolean(name: string, label: string, value: unknown, where: string): void {
  if (typeof value !== "boolean") fail(name, label, value, "must be true or false", where);
}

/** A pair [beta1, beta2] with both in [0, 1). */
export function checkBetas(name: string, value: unknown, where: string): void {
  if (!Array.isArray(value) || value.length !== 2) fail(name, "betas", JSON.stringify(value), "must be a pair [beta1, beta2]", where);
  checkUnitInterval(name, "beta1 (betas[0])", value[0], where);
  checkUnitInterval(name, "beta2 (betas[1])", value[1], where);
}

export function checkNumber(name: string, label: string, value: unknown, where: string): void {
  if (typeof value !== "number" || Number.isNaN(value)) fail(name, label, value, "must be a number", where);
}
