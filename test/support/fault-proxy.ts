// A loopback HTTP proxy in front of moto that injects faults into chosen calls: ThrottlingException 400s,
// 500s, dropped connections (before or after forwarding), and a permanent AccessDeniedException.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type Fault =
  | 'throttle' // 400 ThrottlingException, not forwarded
  | 'server-error' // 500 ServiceUnavailableException, not forwarded
  | 'drop' // connection destroyed before forwarding
  | 'drop-after-accept' // forwarded (the server accepts it), then the connection is destroyed: the response is lost
  | 'access-denied'; // 400 AccessDeniedException, not forwarded

export interface FaultProxy {
  endpoint: string;
  /** Faults to inject, in order, for calls whose X-Amz-Target ends with the operation name. */
  inject(operation: string, faults: Fault[]): void;
  /** The next call of `operation` whose JSON body passes `when` gets `fault` (once), e.g. a batch of several events. */
  injectWhen(operation: string, fault: Fault, when: (body: Record<string, unknown>) => boolean): void;
  /** Every following call of this operation is refused with AccessDeniedException. */
  denyAlways(operation: string): void;
  /** Undoes denyAlways: the permission was fixed. */
  allow(operation: string): void;
  /** Drops faults still queued for the operation. */
  clear(operation: string): void;
  /** Calls seen per operation (including faulted ones). */
  calls(operation: string): number;
  injected(): number;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const queued = new Map<string, Fault[]>();
  const conditional: { operation: string; fault: Fault; when: (body: Record<string, unknown>) => boolean }[] = [];
  const denied = new Set<string>();
  const seen = new Map<string, number>();
  let injectedCount = 0;
  const target = new URL(upstream);

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse | undefined): Promise<void> =>
    new Promise((resolve, reject) => {
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (upstreamRes) => {
          const chunks: Buffer[] = [];
          upstreamRes.on('data', (c: Buffer) => chunks.push(c));
          upstreamRes.on('end', () => {
            if (res) {
              res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
              res.end(Buffer.concat(chunks));
            }
            resolve();
          });
        },
      );
      upstreamReq.on('error', reject);
      upstreamReq.end(body);
    });

  const conditionalFault = (operation: string, body: Buffer): Fault | undefined => {
    const index = conditional.findIndex((c) => {
      if (c.operation !== operation) return false;
      try {
        return c.when(JSON.parse(body.toString('utf8')) as Record<string, unknown>);
      } catch {
        return false;
      }
    });
    return index < 0 ? undefined : conditional.splice(index, 1)[0]!.fault;
  };

  const awsError = (res: ServerResponse, status: number, type: string, message: string): void => {
    const body = JSON.stringify({ __type: type, message });
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      seen.set(operation, (seen.get(operation) ?? 0) + 1);
      const fault = denied.has(operation) ? 'access-denied' : (conditionalFault(operation, body) ?? queued.get(operation)?.shift());
      if (fault) injectedCount += 1;
      const run = async (): Promise<void> => {
        switch (fault) {
          case 'throttle':
            return awsError(res, 400, 'ThrottlingException', 'Rate exceeded');
          case 'server-error':
            return awsError(res, 500, 'ServiceUnavailableException', 'The service is unavailable');
          case 'access-denied':
            return awsError(res, 400, 'AccessDeniedException', `User is not authorized to perform: logs:${operation}`);
          case 'drop':
            req.socket.destroy();
            return;
          case 'drop-after-accept':
            await forward(req, body, undefined);
            req.socket.destroy();
            return;
          default:
            return forward(req, body, res);
        }
      };
      run().catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject: (operation, faults) => queued.set(operation, [...(queued.get(operation) ?? []), ...faults]),
    injectWhen: (operation, fault, when) => void conditional.push({ operation, fault, when }),
    denyAlways: (operation) => denied.add(operation),
    allow: (operation) => void denied.delete(operation),
    clear: (operation) => void queued.delete(operation),
    calls: (operation) => seen.get(operation) ?? 0,
    injected: () => injectedCount,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
