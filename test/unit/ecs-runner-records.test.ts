// The runner's record framing and the ExecuteCommand command line: output can never be mistaken for a record,
// whatever it contains and however the pty bytes are split, and runbook text never reaches the command line.
import { parse } from 'shell-quote';
import { describe, expect, it } from 'vitest';
import { RunnerRecordParser, type RunnerRecord } from '../../src/adapters/aws/ecs/runner-records.js';
import { buildRunCommand, buildStopCommand, planRemoteStep } from '../../src/adapters/aws/ecs/runner-command.js';
import { RUNNER_TEMPLATE } from '../../src/adapters/aws/ecs/runner-template.js';
import { describeExitCode, describeStop } from '../../src/adapters/aws/ecs/exit-status.js';

const TOKEN = 'OPSGATE-00112233445566778899aabb';
const rec = (body: string) => `\x1e${TOKEN}:${body}\x1e`;
// Step output that imitates records: a forged exit record and stray RS bytes must stay data.
const tricky = Buffer.from(`héllo ${rec('X:0:')} \x1e${TOKEN}:D:5\x1e wörld\r\n\x1e`, 'utf8');

function wire(): Buffer {
  return Buffer.concat([
    Buffer.from('pty noise'),
    Buffer.from(rec('S') + rec('H:0:0') + rec(`D:${tricky.length}`), 'latin1'),
    tricky,
    Buffer.from(rec('E:4') + 'oops' + rec('K') + rec('X:3:'), 'latin1'),
  ]);
}

function collapse(records: RunnerRecord[]): unknown[] {
  const out: unknown[] = [];
  for (const r of records) {
    const last = out.at(-1) as { kind: string; stream?: string; bytes?: Buffer } | undefined;
    if ((r.kind === 'data' || r.kind === 'noise') && last?.kind === r.kind && (r.kind === 'noise' || last.stream === r.stream)) {
      last.bytes = Buffer.concat([last.bytes!, r.bytes]);
    } else out.push({ ...r });
  }
  return out;
}

describe('runner records', () => {
  const expected = [
    { kind: 'noise', bytes: Buffer.from('pty noise') },
    { kind: 'started' },
    { kind: 'hello', stdout: 0, stderr: 0 },
    { kind: 'data', stream: 'stdout', bytes: tricky },
    { kind: 'data', stream: 'stderr', bytes: Buffer.from('oops') },
    { kind: 'keepalive' },
    { kind: 'exit', code: 3, how: '' },
  ];

  it('keeps forged records and RS bytes inside data as data', () => {
    expect(collapse(new RunnerRecordParser(TOKEN).push(wire()))).toEqual(expected);
  });

  it('gives the same records however the bytes are split (one byte at a time)', () => {
    const parser = new RunnerRecordParser(TOKEN);
    const records: RunnerRecord[] = [];
    for (const byte of wire()) records.push(...parser.push(Buffer.from([byte])));
    expect(collapse(records)).toEqual(expected);
  });

  it('reads lost exits, refusals, stop results, and treats another token as noise', () => {
    const parser = new RunnerRecordParser(TOKEN);
    const records = parser.push(Buffer.from(rec('X:lost:') + rec('R:setsid-missing') + rec('X:137:SIGKILL') + '\x1eOPSGATE-ffff:X:0:\x1e', 'latin1'));
    expect(records.slice(0, 3)).toEqual([
      { kind: 'exit', code: 'lost', how: '' },
      { kind: 'refused', reason: 'setsid-missing' },
      { kind: 'exit', code: 137, how: 'SIGKILL' },
    ]);
    expect(records.slice(3).every((r) => r.kind === 'noise')).toBe(true);
  });

  it('reads the stop confirmation the runner sends ahead of its backlog', () => {
    const records = new RunnerRecordParser(TOKEN).push(Buffer.from(rec('T:130:SIGINT') + rec('T:0:') + rec('T:lost:'), 'latin1'));
    expect(records.slice(0, 2)).toEqual([
      { kind: 'stopped', code: 130, how: 'SIGINT' },
      { kind: 'stopped', code: 0, how: '' },
    ]);
    expect(records.slice(2).every((r) => r.kind === 'noise')).toBe(true);
  });
});

describe('runner command line', () => {
  const step = "echo 'it''s' \"$HOME\"; rm -rf /nope `id` $(whoami)\n";
  const plan = planRemoteStep('1234-1/../x y', 2, step);

  it('carries only base64, hex, digits and a sanitized directory; the step decodes back exactly', () => {
    const command = buildRunCommand(plan, { stdout: 10, stderr: 3, grant: 4096 });
    expect(command).not.toContain('rm -rf');
    const argv = parse(command) as string[];
    expect(argv.slice(0, 4)).toEqual(['/bin/bash', '-c', 'eval "$(printf %s "$1" | base64 -d)"', 'opsgate']);
    const [template, mode, dir, token, out, err, grant, script] = argv.slice(4);
    expect(Buffer.from(template!, 'base64').toString()).toBe(RUNNER_TEMPLATE);
    expect([mode, out, err, grant]).toEqual(['run', '10', '3', '4096']);
    expect(dir).toMatch(/^\/tmp\/opsgate\/run-1234-1_\.\._x_y\/2-[0-9a-f]{8}$/);
    expect(token).toMatch(/^OPSGATE-[0-9a-f]{24}$/);
    expect(Buffer.from(script!, 'base64').toString()).toBe(step);
    for (const word of argv.slice(4)) expect(word).toMatch(/^[A-Za-z0-9+/=._-]+$/);
  });

  it('the stop form never carries the script, so it can never start the step', () => {
    const argv = parse(buildStopCommand(plan, { stdout: 0, stderr: 0, grant: 1 })) as string[];
    expect(argv[5]).toBe('stop');
    expect(argv.at(-1)).toBe('-');
  });
});

describe('exit descriptions', () => {
  it('names signals and what stopping did', () => {
    expect(describeExitCode(137)).toBe('killed by signal 9 (SIGKILL) (exit status 137)');
    expect(describeExitCode(127)).toMatch(/command not found/);
    expect(describeStop('SIGINT', 130)).toMatch(/SIGINT.*stopped.*signal 2 \(SIGINT\)/);
    expect(describeStop('SIGKILL', 137)).toMatch(/still running after 1 s and was killed with SIGKILL/);
    expect(describeStop('not-started', 130)).toMatch(/did not run/);
  });
});
