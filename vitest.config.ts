import { defineConfig } from 'vitest/config';

// Integration tests start real local servers (PostgreSQL, moto_server, simulators): give them room,
// and run files in separate processes so a server in one file never leaks into another.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Most files wait on servers and subprocesses, not the CPU: three at a time keeps a 2-core CI machine busy
    // (the 3-minute ECS reconnect test overlaps the rest) without starving the timing-sensitive ones.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
