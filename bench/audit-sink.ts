// Streams 100 MB of step output through the CloudWatch audit sink into a local moto_server and prints
// throughput, peak RSS, and PutLogEvents calls against the fewest the limits allow. The sink runs as in
// production: flushes at run start, step start and end and run end, and every 2 s while the step streams,
// so a few calls above the minimum are by design. BENCH_MB changes the size.
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { createCloudWatchAuditLog } from '../src/adapters/aws/cloudwatch-audit-log.js';
import { MAX_BATCH_BYTES, minimumBatchCount } from '../src/audit/batch.js';
import { driveRun, identity, instantClock, logsClient } from '../test/support/audit-fixtures.js';
import { startMoto } from '../test/support/moto.js';

const TOTAL = Number(process.env.BENCH_MB ?? 100) * 1024 * 1024;
const CHUNK = 64 * 1024;

async function main(): Promise<void> {
  const moto = await startMoto();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  try {
    const client = logsClient(moto.endpoint);
    await client.send(new CreateLogGroupCommand({ logGroupName: '/opsgate/bench' }));
    let puts = 0;
    let events = 0;
    let bytes = 0;
    let partial = 0;
    const log = createCloudWatchAuditLog({
      client,
      logGroup: '/opsgate/bench',
      region: 'us-east-1',
      clock: instantClock(),
      onPut: (n, b) => {
        puts += 1;
        events += n;
        bytes += b;
        // A batch that could still have taken a full output event was cut by a flush, not by the limits.
        if (b + 26 * n + 200_000 < MAX_BATCH_BYTES) partial += 1;
      },
    });
    // A generator keeps only one chunk alive at a time: memory must not grow with the output size.
    function* chunks(): Generator<Uint8Array> {
      const line = Buffer.from('2026-01-15T10:00:00Z INFO processed order 123456 in 12 ms; status=ok\n');
      const chunk = Buffer.alloc(CHUNK);
      for (let i = 0; i < CHUNK; i += line.length) line.copy(chunk, i);
      for (let sent = 0; sent < TOTAL; sent += CHUNK) yield chunk;
    }
    const started = process.hrtime.bigint();
    await driveRun(log, identity('bench'), [chunks() as unknown as Uint8Array[]]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    console.log(`output streamed:        ${(TOTAL / 1048576).toFixed(0)} MiB in ${seconds.toFixed(1)} s = ${(TOTAL / 1048576 / seconds).toFixed(1)} MiB/s`);
    console.log(`audit events:           ${events} (${(bytes / 1048576).toFixed(1)} MiB of messages)`);
    console.log(`PutLogEvents calls:     ${puts} (minimum the limits allow for these events: ${minimumBatchCount(bytes, events)}; ${partial} cut early by a flush)`);
    console.log(`peak RSS:               ${(peakRss / 1048576).toFixed(0)} MiB`);
  } finally {
    clearInterval(sampler);
    await moto.stop();
  }
}

await main();
