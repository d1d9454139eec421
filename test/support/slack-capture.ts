// A local stand-in for a Slack incoming webhook: accepts every POST and keeps the bodies in order.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCapture {
  /** Base URL of the hook (http://127.0.0.1:<port>); any path is accepted. */
  url: string;
  /** The request bodies received, oldest first; tests may empty it with `bodies.length = 0`. */
  bodies: string[];
  close(): Promise<void>;
}

export async function startSlackCapture(): Promise<SlackCapture> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
