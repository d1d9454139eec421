import { defineConfig } from 'vitest/config';

// Integration tests start real local servers (PostgreSQL, moto_server, simulators): give them room,
// and run files in separate processes so a server in one file never leaks into another.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
