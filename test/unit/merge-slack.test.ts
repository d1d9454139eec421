import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackNotifier } from '../../src/adapters/slack/slack-notifier.js';
import type { PullRequestInfo } from '../../src/ports/github.js';
import { proceed, refuse } from '../../src/run/outcome.js';
import { publicationMask, type RunbookReport } from '../../src/usecases/merge-report.js';

const noMask = (text: string) => text;

const pr: PullRequestInfo = {
  number: 7, author: 'carol', headSha: 'a'.repeat(40), baseRef: 'main', mergedAt: '2026-11-22T10:00:00Z',
  mergeCommitSha: 'b'.repeat(40), fromFork: false, htmlUrl: 'https://github.com/acme/ops/pull/7',
};
const report: RunbookReport = { path: 'runbooks/x.yml', title: 'Fix <x> & y', target: 'prod', approvers: ['alice', 'bob'], outcome: proceed('ok', 'All steps succeeded.') };

let server: Server;
let url = '';
const received: { path: string; type: string; body: unknown }[] = [];

const readBody = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let data = '';
  req.on('data', (c: Buffer) => (data += c.toString()));
  req.on('end', () => resolve(data));
});

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    received.push({ path: req.url ?? '', type: String(req.headers['content-type']), body: JSON.parse(body) });
    res.statusCode = req.url === '/broken' ? 500 : 200;
    res.end(req.url === '/broken' ? 'no' : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('Slack notifier', () => {
  it('posts JSON at start (who, what, where, approved by whom) and at the end (outcome)', async () => {
    const warnings: string[] = [];
    const slack = createSlackNotifier({ webhookUrl: `${url}/hook`, repository: 'acme/ops', redact: noMask, warn: (m) => warnings.push(m) });
    await slack.notify('start', pr, report);
    await slack.notify('end', pr, { ...report, outcome: refuse('step-failed', 'Step 1 failed.') });
    expect(warnings).toEqual([]);
    expect(received.map((r) => r.type)).toEqual(['application/json', 'application/json']);
    const [start, end] = received.map((r) => (r.body as { text: string }).text);
    expect(start).toContain('started `runbooks/x.yml` (Fix &lt;x&gt; &amp; y) on target `prod` from <https://github.com/acme/ops/pull/7|acme/ops#7> by carol, approved by alice, bob');
    expect(end).toMatch(/^:x: opsgate finished .* step-failed — Step 1 failed\./);
  });

  it('masks secrets and policy.redact matches in the text, including inside escaped user text', async () => {
    received.length = 0;
    const slack = createSlackNotifier({ webhookUrl: `${url}/hook`, repository: 'acme/ops', redact: publicationMask(['p<w&rd-1234'], ['tok_[a-z0-9]+']), warn: () => {} });
    await slack.notify('end', pr, { ...report, title: 'uses p<w&rd-1234', outcome: refuse('step-failed', 'printed tok_abc123 and p<w&rd-1234') });
    const text = (received[0]!.body as { text: string }).text;
    expect(text).toContain('(uses ***)');
    expect(text).toContain('step-failed — printed *** and ***');
    expect(text).not.toMatch(/p.{0,5}w.{0,5}rd-1234|tok_abc123/);
  });

  it('only warns when Slack refuses or cannot be reached', async () => {
    const warnings: string[] = [];
    await createSlackNotifier({ webhookUrl: `${url}/broken`, repository: 'acme/ops', redact: noMask, warn: (m) => warnings.push(m) }).notify('start', pr, report);
    await createSlackNotifier({ webhookUrl: 'http://127.0.0.1:1/hook', repository: 'acme/ops', redact: noMask, warn: (m) => warnings.push(m) }).notify('end', pr, report);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/refused: HTTP 500\. The run is not affected/);
    expect(warnings[1]).toMatch(/failed: .*The run is not affected/);
  });
});
