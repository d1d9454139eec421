// The ECS and data-channel simulator as its own process (for the benchmark, so the client's memory and CPU are
// measured alone). Prints one JSON line {"endpoint": ...} when ready; exits when stdin closes.
import { startAgentServer } from './agent-server.js';
import { startEcsApi } from './ecs-api.js';
import { defaultTask } from './harness.js';

const agent = await startAgentServer({ ptyDelayMs: Number(process.env.OPSGATE_SIM_PTY_DELAY_MS ?? 1000) });
const api = await startEcsApi({ agent, tasks: [defaultTask()] });
process.stdout.write(`${JSON.stringify({ endpoint: api.endpoint })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void api.close().then(() => agent.close()).then(() => process.exit(0));
});
