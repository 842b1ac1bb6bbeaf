// pm2 process file. `pm2 start ecosystem.config.cjs`, `pm2 reload tideflags` (zero-downtime),
// `pm2 stop tideflags`. README "Operations" explains the choices; the numbers below must match the code.
//
// pm2's cluster mode: pm2 is the cluster primary and each instance runs dist/main.js as one worker of
// ours (main.ts sees cluster.isPrimary false and runs the worker directly). Only cluster mode gives
// `pm2 reload` a lossless hand-over: pm2 starts the new instance, waits for it, then stops the old
// one. In fork mode pm2 would stop the process first and start the new one after, refusing
// connections in between, because two processes cannot share the port.

module.exports = {
  apps: [{
    name: 'tideflags',
    script: 'dist/main.js',
    exec_mode: 'cluster',
    instances: 'max', // one worker per CPU, like WORKERS' default under `npm start`
    // The worker sends 'ready' once it listens and its store answers (src/worker.ts); it waits up
    // to 5 s for Redis before listening anyway, so 15 s covers a slow start too.
    wait_ready: true,
    listen_timeout: 15_000, // ms
    // pm2 stops an instance with SIGINT, then SIGKILL after kill_timeout. The worker drains and exits
    // by SHUTDOWN_TIMEOUT_MS (default 10 s); kill_timeout stays above it so pm2 never cuts a drain.
    kill_timeout: 12_000, // ms
    // A worker that exits unexpectedly is restarted by pm2, with pm2's exponential backoff standing in
    // for our primary's (src/backoff.ts).
    exp_backoff_restart_delay: 100, // ms, doubling up to pm2's cap
    max_memory_restart: '512M', // leaks would show in the soak test long before this
    // pm2 forks the workers itself, so WORKER_SEMI_SPACE_MB (applied by our primary) does not reach them:
    // the same V8 flag goes here. 2 MB keeps each worker ~25 MB smaller (bench/README.md step 8).
    node_args: ['--max-semi-space-size=2'],
    merge_logs: true,
    env: {
      NODE_ENV: 'production',
    },
  }],
}
