-- Redis TIME from the node that holds KEYS[1] (Redis Cluster, src/store/redis/cluster-reads.ts): a
-- key-less command would go to any node, and schedules are judged by one clock every worker shares.
-- KEYS[1] global_features (named for its slot only; not read)
return redis.call('TIME')
