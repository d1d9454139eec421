// The simulator's own agent behaviour that tests rely on: output chunks never split a UTF-8 sequence, and the
// command is split like the agent's container mode (no shell: `;` is a literal word).
import { describe, expect, it } from 'vitest';
import { agentArgv, CHUNK_BYTES, Utf8Chunker } from '../support/ecs-simulator/pty-process.js';

describe('simulator pty helpers', () => {
  it('chunks at ≤1024 bytes on UTF-8 boundaries, across pushes, losing nothing', () => {
    const text = 'aé✓😀'.repeat(900);
    const bytes = Buffer.from(text, 'utf8');
    const chunker = new Utf8Chunker();
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 777) chunks.push(...chunker.push(bytes.subarray(i, i + 777)));
    chunks.push(...chunker.flush());
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(CHUNK_BYTES);
      expect(Buffer.from(chunk.toString('utf8'), 'utf8').equals(chunk)).toBe(true);
    }
  });

  it('splits shell-style without a shell', () => {
    expect(agentArgv(`/bin/bash -c 'echo "a b"; x' arg ls; false`)).toEqual(['/bin/bash', '-c', 'echo "a b"; x', 'arg', 'ls', ';', 'false']);
  });
});
