// Percentage rollouts: which authenticated users an active feature reaches. Pure (no I/O, no env).
// The `rollout` hash maps feature -> percent (0 to 100, at most two decimals); parsePercent turns the
// text into integer basis points (hundredths of a percent), so `12.5` is exactly 1250, never a float.
//
// The bucket is a PUBLIC CONTRACT: every worker, both stores, other implementations and every future
// version must compute the same bucket, or users flip in and out of features. It is
//
//   input  = UTF-8 bytes of  L ":" feature userId   where L = decimal byte length of UTF-8(feature)
//   digest = SHA-1(input), as 40 lowercase hex digits
//   x      = the first 13 hex digits (the top 52 bits) as an unsigned integer, 0 <= x < 2^52
//   bucket = floor(x * 10000 / 2^52), an integer 0..9999
//   in     = bucket < basisPoints
//
// - The length prefix makes the input unambiguous: reading digits up to the first ":" gives L, the next
//   L bytes are the feature, the rest is the user id; so ("ab", "c") and ("a", "bc") never share a hash,
//   whatever characters either contains. (A plain separator would need one banned from feature names.)
// - Scaling x, rather than taking it modulo 10000, leaves no modulo bias: each bucket covers
//   floor or ceil of 2^52/10000 values, a relative difference below 3e-12.
// - The feature name is part of the input, so flags draw independent samples of users.
// - A user is in at p% iff bucket < p*100, so raising the percent only adds users (and lowering it only
//   removes them): the set at 30% is a subset of the set at 50%, for every user, by construction.
// - Strings are hashed as UTF-8, so a lone surrogate in an id hashes as U+FFFD does (as Buffer encodes it).
// Anonymous callers are never in a rollout: the caller does not call this without a user id.

import { hash } from 'node:crypto'

/** Hundredths of a percent: an integer 0..10000 (12.5% = 1250). */
export type BasisPoints = number

/** 100% in basis points; also the number of buckets. */
export const ALL_BASIS_POINTS = 10_000

// 0..100 with at most two decimals, no sign, no exponent, no blanks; 100 only as 100, 100.0 or 100.00.
const PERCENT = /^(?:100(?:\.0{1,2})?|\d{1,2}(?:\.\d{1,2})?)$/

/**
 * Parse a rollout percent as stored in the `rollout` hash.
 * @param raw text such as `25`, `12.5`, `0.01`, `100`
 * @returns the percent in basis points (integer 0..10000), or undefined when malformed (`-1`, `101`,
 *   `12.345`, `1e2`, `abc`, ``): the caller then leaves the user out (fails closed)
 */
export function parsePercent (raw: string): BasisPoints | undefined {
  if (!PERCENT.test(raw)) return undefined
  const dot = raw.indexOf('.')
  if (dot < 0) return Number(raw) * 100
  // Integer arithmetic on the digits: Number('0.29') * 100 is 28.999999999999996.
  return Number(raw.slice(0, dot)) * 100 + Number(raw.slice(dot + 1).padEnd(2, '0'))
}

/**
 * The user's bucket for a feature, 0..9999 (see the formula at the top of this file). One SHA-1 of a
 * short string per call.
 * @param feature the feature name
 * @param userId the authenticated user's id
 */
export function rolloutBucket (feature: string, userId: string): number {
  return bucketOfDigest(hash('sha1', `${Buffer.byteLength(feature, 'utf8')}:${feature}${userId}`, 'hex'))
}

/**
 * The bucket of a hex SHA-1 digest: floor(x * 10000 / 2^52), x its first 13 hex digits. Exported so
 * that tests can check exactness at bucket boundaries.
 *
 * x * 10000 reaches 2^65, beyond a double's 53 exact bits, so the product is never formed: with
 * x = hi * 2^24 + lo (hi the first 7 hex digits, lo the next 6),
 *   floor(x * 10000 / 2^52) = floor((hi * 10000 + floor(lo * 10000 / 2^24)) / 2^28)
 * (floor(z / n) = floor(floor(z) / n) for an integer n), and every intermediate value is an integer
 * below 2^42 or a division by a power of two: exact in a double, with no BigInt allocation.
 */
export function bucketOfDigest (hexDigest: string): number {
  const hi = Number.parseInt(hexDigest.slice(0, 7), 16)
  const lo = Number.parseInt(hexDigest.slice(7, 13), 16)
  return Math.floor((hi * 10_000 + Math.floor(lo * 10_000 / 0x100_0000)) / 0x1000_0000)
}

/**
 * Whether an authenticated user falls in a feature's rollout. 0 selects nobody and 10000 everybody,
 * without hashing.
 * @param basisPoints from {@link parsePercent}
 */
export function inRollout (feature: string, userId: string, basisPoints: BasisPoints): boolean {
  if (basisPoints <= 0) return false
  if (basisPoints >= ALL_BASIS_POINTS) return true
  return rolloutBucket(feature, userId) < basisPoints
}
