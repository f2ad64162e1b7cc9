/**
 * Serial number arithmetic (RFC 1982) for 32-bit TSNs and 16-bit SSNs, as
 * RFC 9260 §1.6 requires for every comparison of the two.
 */

/** a precedes b in 32-bit serial order. */
export function tsnLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a precedes or equals b in 32-bit serial order. */
export function tsnLte(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a follows b in 32-bit serial order. */
export function tsnGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** a + n modulo 2^32. */
export function tsnAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Distance from b forward to a, modulo 2^32. */
export function tsnDiff(a: number, b: number): number {
  return (a - b) >>> 0;
}

/** a precedes b in 16-bit serial order. */
export function ssnLt(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d >= 0x8000;
}
