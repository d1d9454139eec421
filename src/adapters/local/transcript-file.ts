// Reading a JSON-lines transcript file back: shared by the file ledger, `opsgate audit verify --file` and the
// post step that uploads what CloudWatch is missing from a local copy.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Reads a JSON-lines transcript one line at a time (memory bounded by the longest line). */
export async function* readTranscriptFile(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') yield line;
}
