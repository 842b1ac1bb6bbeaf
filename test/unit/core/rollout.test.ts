import t from 'tap'
import { ALL_BASIS_POINTS, bucketOfDigest, inRollout, parsePercent, rolloutBucket } from '../../../src/core/rollout.js'

const USERS = 100_000
const userIds = Array.from({ length: USERS }, (_, i) => `user-${i}`)

/** Share of the 100 000 test users in the rollout, in percent. */
function share (feature: string, basisPoints: number): number {
  let n = 0
  for (const id of userIds) if (inRollout(feature, id, basisPoints)) n++
  return (n / USERS) * 100
}

// Computed once, independently of this code (Python hashlib.sha1 over the documented input, then
// (int(hex[:13], 16) * 10000) >> 52), and pinned: a change here moves users in or out of features.
const GOLDEN: ReadonlyArray<readonly [feature: string, userId: string, bucket: number]> = [
  ['feature_8', 'user-1', 8935],
  ['feature_8', 'user-2', 1328],
  ['feature_5', 'user-1', 3067],
  ['new-checkout', '42', 2805],
  ['café', 'josé', 9317],
  ['新機能', 'ユーザー7', 9980],
  ['🚀launch', 'u🚀', 1151],
  ['ab', 'c', 7923],
  ['a', 'bc', 7566],
  ['dark_mode', '00000000-0000-4000-8000-000000000000', 4092],
  ['12', '3:x', 1424],
]

t.test('buckets are the pinned golden values, so they are stable across processes, stores and versions', async (t) => {
  t.plan(GOLDEN.length)
  for (const [feature, userId, bucket] of GOLDEN) {
    t.equal(rolloutBucket(feature, userId), bucket, `${feature} / ${userId}`)
  }
})

t.test('the length prefix keeps the split between feature and user id unambiguous', async (t) => {
  t.plan(1)
  t.not(rolloutBucket('ab', 'c'), rolloutBucket('a', 'bc'), 'the same concatenation "abc", different buckets')
})

t.test('the bucket is floor(x * 10000 / 2^52) exactly, on both sides of every bucket boundary', async (t) => {
  // For each k, the smallest x in bucket k and the largest x in bucket k - 1: a float product
  // x * 10000 would round some of these into the wrong bucket.
  let wrong = 0
  const hex = (x: bigint): string => x.toString(16).padStart(13, '0') + '0'.repeat(27)
  for (let k = 1n; k < 10_000n; k++) {
    const first = (k * 2n ** 52n + 9_999n) / 10_000n
    if (bucketOfDigest(hex(first)) !== Number(k)) wrong++
    if (bucketOfDigest(hex(first - 1n)) !== Number(k - 1n)) wrong++
  }
  t.equal(wrong, 0)
  t.equal(bucketOfDigest('0'.repeat(40)), 0, 'the lowest digest is bucket 0')
  t.equal(bucketOfDigest('f'.repeat(40)), 9999, 'the highest digest is bucket 9999')
  t.equal(bucketOfDigest('fffffffffffff' + '0'.repeat(27)), 9999, 'only the first 13 hex digits count')
  t.end()
})

t.test('every bucket lies in 0..9999 and is an integer', async (t) => {
  t.plan(1)
  let bad = 0
  for (const id of userIds) {
    const b = rolloutBucket('range', id)
    if (!Number.isInteger(b) || b < 0 || b > 9999) bad++
  }
  t.equal(bad, 0)
})

t.test('1%, 10% and 50% select within half a point of their share of 100,000 users', async (t) => {
  t.plan(3)
  for (const percent of [1, 10, 50]) {
    const got = share('feature_8', percent * 100)
    t.ok(Math.abs(got - percent) <= 0.5, `${percent}% selected ${got.toFixed(3)}%`)
  }
})

t.test('raising the percent from 30 to 50 keeps every user who had the feature at 30', async (t) => {
  t.plan(3)
  let at30 = 0
  let lost = 0
  let gained = 0
  for (const id of userIds) {
    const before = inRollout('feature_8', id, 3000)
    const after = inRollout('feature_8', id, 5000)
    if (before) at30++
    if (before && !after) lost++
    if (!before && after) gained++
  }
  t.ok(at30 > 0, 'some users had it at 30%')
  t.equal(lost, 0, 'nobody loses it')
  t.ok(gained > 0, 'more users get it')
})

t.test('two flags at 50% draw independent users: they overlap on 25% ± 1 point', async (t) => {
  t.plan(1)
  let both = 0
  for (const id of userIds) if (inRollout('feature_a', id, 5000) && inRollout('feature_b', id, 5000)) both++
  const overlap = (both / USERS) * 100
  t.ok(Math.abs(overlap - 25) <= 1, `overlap ${overlap.toFixed(3)}%`)
})

t.test('0% selects nobody and 100% selects everybody', async (t) => {
  t.plan(4)
  t.equal(share('feature_8', 0), 0)
  t.equal(share('feature_8', ALL_BASIS_POINTS), 100)
  // bucket 9980 is the highest among the golden values: in at 99.81%, out at 99.80%
  t.ok(inRollout('新機能', 'ユーザー7', 9981))
  t.notOk(inRollout('新機能', 'ユーザー7', 9980))
})

t.test('a percent with up to two decimals parses to exact basis points', async (t) => {
  const good: Array<[string, number]> = [
    ['0', 0], ['0.01', 1], ['0.29', 29], ['12.5', 1250], ['12.50', 1250], ['25', 2500], ['33.33', 3333],
    ['99.99', 9999], ['100', 10_000], ['100.0', 10_000], ['100.00', 10_000], ['05', 500],
  ]
  t.plan(good.length)
  for (const [raw, bp] of good) t.equal(parsePercent(raw), bp, raw)
})

t.test('a percent out of range, with three decimals, or not plain decimal text is malformed', async (t) => {
  const bad = [
    '', ' ', '-1', '-0', '+5', '101', '100.01', '100.1', '12.345', '1e2', 'abc', '.5', '5.', '0x10', ' 5',
    '5 ', '1,5', '１０', 'Infinity', 'NaN', '1000',
  ]
  t.plan(bad.length)
  for (const raw of bad) t.equal(parsePercent(raw), undefined, JSON.stringify(raw))
})
