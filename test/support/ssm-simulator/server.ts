// Loopback SSM Run Command simulator speaking awsJson1_1 (X-Amz-Target: AmazonSSM.*). Every request is checked
// against the official Smithy model; AWS-RunShellScript commands really run with bash per simulated instance
// (commands.ts), and the read operations answer as SSM does (views.ts).
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AwsJsonError,
  loadServiceModel,
  readAwsJsonRequest,
  sendAwsJson,
  sendAwsJsonError,
  validateInput,
} from '../smithy-validator.js';
import { CommandEngine, type Command, type EngineOptions, type Invocation, type SimInstance } from './commands.js';
import {
  describeCommand,
  describeInstanceInformation,
  getCommandInvocation,
  listCommandInvocations,
  listCommands,
  type ViewOptions,
} from './views.js';

export type { Invocation, SimInstance } from './commands.js';

/**
 * A fault for the next request of `operation` (once):
 * - drop-after-accept: SSM handles the request (SendCommand: the command runs), then the connection closes
 *   with no answer, as when the response is lost on the way back;
 * - error-after-accept: handled, then answered 500 InternalServerError;
 * - drop-before-accept: the connection closes before SSM handles anything;
 * - throttle: ThrottlingException (nothing handled).
 */
export interface Fault {
  operation: string;
  kind: 'drop-after-accept' | 'error-after-accept' | 'drop-before-accept' | 'throttle';
}

const model = loadServiceModel('/work/shared/aws-models/ssm-2014-11-06.json');

export interface SimOptions extends EngineOptions, ViewOptions {
  instances: SimInstance[];
  /** Throttle every Nth request with ThrottlingException (0 = never). */
  throttleEvery?: number;
  /** Operations the caller's role may not call: AccessDeniedException. */
  denyOperations?: string[];
}

export interface RecordedRequest {
  operation: string;
  body: Record<string, unknown>;
  /** The command the request is about (for SendCommand: the one it created). */
  commandId?: string;
}

export interface SsmSimulator {
  endpoint: string;
  /** Requests that failed model validation: a test asserting on these must expect []. */
  violations: string[];
  /** Accepted requests (valid, not throttled or denied), in order. */
  requests: RecordedRequest[];
  /** Count of accepted requests per operation. */
  calls: Map<string, number>;
  /** Requests answered with ThrottlingException. */
  throttled(): number;
  commands: Map<string, Command>;
  /** Arms a one-time fault for the next request of an operation. */
  injectFault(fault: Fault): void;
  /** Resolves with the first invocation (now or later) for which `predicate` holds; checked on every change. */
  whenInvocation(predicate: (inv: Invocation, command: Command) => boolean): Promise<Invocation>;
  /** Wall time (performance.now) when each invocation's process ended, keyed `${commandId}/${instanceId}`. */
  endedAt: Map<string, number>;
  close(): Promise<void>;
}

type Handler = (body: Record<string, unknown>) => { answer: unknown; commandId?: string };

function operationHandlers(engine: CommandEngine, options: SimOptions): Record<string, Handler> {
  return {
    SendCommand: (b) => {
      const command = engine.send(b);
      return { answer: { Command: describeCommand(command) }, commandId: command.id };
    },
    CancelCommand: (b) => {
      engine.cancel(b);
      return { answer: {} };
    },
    GetCommandInvocation: (b) => ({ answer: getCommandInvocation(engine, options, b) }),
    ListCommandInvocations: (b) => ({ answer: listCommandInvocations(engine, options, b) }),
    ListCommands: (b) => ({ answer: listCommands(engine, b) }),
    DescribeInstanceInformation: (b) => ({ answer: describeInstanceInformation(engine, b) }),
  };
}

export async function startSsmSimulator(options: SimOptions): Promise<SsmSimulator> {
  const engine = new CommandEngine(new Map(options.instances.map((i) => [i.id, i])), options);
  const violations: string[] = [];
  const requests: RecordedRequest[] = [];
  const calls = new Map<string, number>();
  let requestCount = 0;
  let throttled = 0;
  const faults: Fault[] = [];

  const handlers = operationHandlers(engine, options);

  function handle(operation: string, body: Record<string, unknown>): unknown {
    requestCount += 1;
    const problems = validateInput(model, operation, body);
    if (problems.length > 0) {
      violations.push(...problems.map((p) => `${operation} ${p}`));
      throw new AwsJsonError('ValidationException', problems.join('; '));
    }
    if (options.throttleEvery && requestCount % options.throttleEvery === 0) {
      throttled += 1;
      throw new AwsJsonError('ThrottlingException', 'Rate exceeded');
    }
    if (options.denyOperations?.includes(operation)) {
      throw new AwsJsonError('AccessDeniedException', `User: arn:aws:sts::123456789012:assumed-role/ci/opsgate is not authorized to perform: ssm:${operation}`);
    }
    const handler = handlers[operation];
    if (!handler) throw new AwsJsonError('UnknownOperationException', `the simulator does not implement ${operation}`);
    calls.set(operation, (calls.get(operation) ?? 0) + 1);
    const record: RecordedRequest = { operation, body, commandId: typeof body.CommandId === 'string' ? body.CommandId : undefined };
    requests.push(record);
    const { answer, commandId } = handler(body);
    record.commandId ??= commandId;
    return answer;
  }

  /** Answers one request, applying an armed fault for its operation. */
  function respond(res: ServerResponse, operation: string, body: Record<string, unknown>): void {
    const index = faults.findIndex((f) => f.operation === operation);
    const fault = index >= 0 ? faults.splice(index, 1)[0] : undefined;
    if (fault?.kind === 'drop-before-accept') return void res.socket?.destroy();
    if (fault?.kind === 'throttle') {
      throttled += 1;
      throw new AwsJsonError('ThrottlingException', 'Rate exceeded');
    }
    const answer = handle(operation, body);
    if (fault?.kind === 'drop-after-accept') return void res.socket?.destroy();
    if (fault?.kind === 'error-after-accept') throw new AwsJsonError('InternalServerError', 'simulated: the request was handled, then the answer failed', 500);
    sendAwsJson(res, 200, answer);
  }

  const server: Server = createServer((req, res) => {
    readAwsJsonRequest(req, 'AmazonSSM')
      .then(({ operation, body }) => respond(res, operation, body as Record<string, unknown>))
      .catch((error: unknown) => {
        if (error instanceof AwsJsonError) sendAwsJsonError(res, error.type, error.message, error.status);
        else sendAwsJsonError(res, 'InternalServerError', String(error), 500);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    violations,
    requests,
    calls,
    throttled: () => throttled,
    commands: engine.commands,
    injectFault: (fault) => void faults.push(fault),
    whenInvocation: (predicate) => whenInvocation(engine, predicate),
    endedAt: engine.endedAt,
    close: async () => {
      engine.killAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function whenInvocation(engine: CommandEngine, predicate: (inv: Invocation, command: Command) => boolean): Promise<Invocation> {
  for (const c of engine.commands.values()) {
    const found = c.invocations.find((inv) => predicate(inv, c));
    if (found) return Promise.resolve(found);
  }
  return new Promise((resolve) => {
    const onChange = (inv: Invocation, command: Command): void => {
      if (!predicate(inv, command)) return;
      engine.events.off('change', onChange);
      resolve(inv);
    };
    engine.events.on('change', onChange);
  });
}
