// The key layout existing data and backoffice scripts use (README "Data layout"); every Redis reader
// and writer takes the names from here.
//   users Redis:    token:<token> -> <user_id>
//   features Redis: global_features (set), active_features (set), features:user:<id> (set),
//                   location:<name> (set), rollout (hash: feature -> percent),
//                   schedule:<feature> (hash: start, end, days, from, to, tz)

export const GLOBAL_KEY = 'global_features'
export const ACTIVE_KEY = 'active_features'
export const TOKEN_PREFIX = 'token:'
export const USER_PREFIX = 'features:user:'
export const LOCATION_PREFIX = 'location:'
export const ROLLOUT_KEY = 'rollout'
export const SCHEDULE_PREFIX = 'schedule:'

// The error reply answers.lua and flags.lua (and cluster-reads.ts) give in place of an answer past the
// limit: 'TOOLARGE <bound>'.
export const TOO_LARGE = 'TOOLARGE'
