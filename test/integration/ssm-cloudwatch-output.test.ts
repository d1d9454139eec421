import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { startSsmSimulator, type SsmSimulator } from '../support/ssm-simulator/server.js';

const instance = 'i-0cw00000000000001';
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
let moto: MotoServer;
let sim: SsmSimulator;
let ssm: SSMClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  moto = await startMoto();
  logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
  sim = await startSsmSimulator({ instances: [{ id: instance }], logs });
  ssm = new SSMClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials });
}, 60_000);
afterAll(async () => {
  ssm?.destroy();
  logs?.destroy();
  await sim?.close();
  await moto?.stop();
});

it('reads a 200,000-character output back completely from the CloudWatch output streams', async () => {
  const executor = createSsmExecutor({
    ssm, logs,
    renderScript: (step) => (step.kind === 'shell' ? step.run : ''),
    target: { kind: 'ssm', name: 'host', instanceIds: [instance], maxConcurrency: '1', maxErrors: '0', outputLogGroup: '/ops/ssm-output' },
  });
  let out = '';
  let err = '';
  const result = await executor.runStep(
    { kind: 'shell', name: 'big', index: 0, timeoutSeconds: 60, continueOnError: false,
      run: "for i in $(seq 1 20000); do printf '%09d\\n' $i; done; echo finished >&2" },
    {
      runId: 'r', signal: new AbortController().signal,
      onOutput: async (stream, chunk) => {
        if (stream === 'stdout') out += Buffer.from(chunk).toString('utf8');
        else err += Buffer.from(chunk).toString('utf8');
      },
    },
  );
  const expected = Array.from({ length: 20000 }, (_, i) => `${String(i + 1).padStart(9, '0')}\n`).join('');
  expect(result.status).toBe('succeeded');
  expect(out.length).toBe(200_000);
  expect(out === expected).toBe(true);
  expect(err).toBe('finished\n');
  expect(sim.violations).toEqual([]);
  // The streams are where SSM puts them, so the truncation notice can point users there.
  const commandId = [...sim.commands.keys()][0]!;
  const page = await logs.send(new GetLogEventsCommand({
    logGroupName: '/ops/ssm-output', logStreamName: `${commandId}/${instance}/aws-runShellScript/stderr`, startFromHead: true,
  }));
  expect(page.events?.map((e) => e.message).join('')).toBe('finished\n');
});
