// Bit-level conversions from the 16-bit float formats to float32.
// Kept apart from the safetensors codec because they are reusable (e.g. for
// a future float16 storage path) and easy to test on their own.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE 754 binary16 bits -> the bits of the exactly equal float32 (every half
 * value is representable). Working on bits, not JS numbers, keeps NaN payloads
 * intact: a round trip through a double may alter them.
 */
export function halfBitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x03ff;
  if (exp === 0x1f) {
    // Inf (mantissa 0) or NaN. NaNs come out quiet with their payload, as the
    // hardware conversion (x86 F16C, ARM FCVT) and thus PyTorch do.
    return (sign | 0x7f800000 | (mant !== 0 ? 0x00400000 : 0) | (mant << 13)) >>> 0;
  }
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // normal: rebias 15 -> 127
  if (mant === 0) return sign >>> 0; // signed zero
  // Subnormal half: value = mant * 2^-24. Normalise it, since float32 has
  // enough exponent range for every half subnormal to become a normal.
  let e = -1;
  do {
    mant <<= 1;
    e++;
  } while ((mant & 0x0400) === 0);
  mant &= 0x03ff;
  return (sign | ((112 - e) << 23) | (mant << 13)) >>> 0;
}

/** IEEE 754 binary16 bits -> float32 value (as a JS number). */
export function halfBitsToFloat(h: number): number {
  u32[0] = halfBitsToFloat32Bits(h);
  return f32[0]!;
}

let halfTable: Uint32Array | null = null;

/** Lazily built 65536-entry table (256 KiB): bulk conversion becomes one lookup per element. */
function getHalfTable(): Uint32Array {
  if (halfTable === null) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloat32Bits(h);
  }
  return halfTable;
}

/** Convert an array of float16 bit patterns to float32. */
export function halfArrayToFloat32(bits: Uint16Array): Float32Array {
  const table = getHalfTable();
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = table[bits[i]!]!;
  return out;
}

/** Convert an array of bfloat16 bit patterns to float32: bf16 is the top half of a float32. */
export function bfloat16ArrayToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
  return out;
}
