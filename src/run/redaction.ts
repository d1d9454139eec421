// Masks secrets in everything opsgate writes: the audit transcript, the job log and the PR comment. Secrets
// are literal values (the secret environment values) and the policy's `redact` regular expressions. Pure.
//
// Output arrives in chunks that may split a secret or a UTF-8 character; the stream redactor holds back
// an unfinished line (or, for very long lines, a tail long enough for any literal secret) until more
// arrives or the step ends. Bytes that are not valid UTF-8 are handled byte for byte and pass through
// unchanged unless they contain a secret.

export const MASK = '***';
/** Literal values shorter than this are not masked: masking "1" or "yes" everywhere hides output, not secrets. */
export const MIN_SECRET_LENGTH = 4;
/** Longest stretch held back without a newline before it is released (minus the tail kept for secrets). */
const MAX_HELD_BYTES = 64 * 1024;
/** Tail kept when a line is longer than MAX_HELD_BYTES; regex matches longer than this may escape masking. */
const REGEX_TAIL_BYTES = 512;

export interface Redactor {
  /** Masks secrets in a string. */
  redact(text: string): string;
  /** Masks secrets in bytes; bytes that are not UTF-8 pass through unchanged unless they contain a secret. */
  redactBytes(bytes: Uint8Array): Uint8Array;
  /** A new per-stream state for output chunks. */
  stream(): StreamRedactor;
  /** The literal secret values (for registering masks with the job log). */
  readonly secrets: readonly string[];
}

export interface StreamRedactor {
  /** Returns what is safe to release now (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /** Releases everything held back, masked. */
  end(): Uint8Array;
}

export interface RedactionSources {
  /** Secret values, e.g. the values of the secret environment variables. */
  secrets?: Iterable<string>;
  /** Regular expressions (JavaScript syntax) from policy.redact. */
  patterns?: Iterable<string>;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function createRedactor(sources: RedactionSources): Redactor {
  const secrets = [...new Set([...(sources.secrets ?? [])].filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  // Config validation compiles patterns without the u flag; one that only compiles that way still masks.
  const patterns = [...(sources.patterns ?? [])].map((p) => unicodeRegExp(p));
  const literal = secrets.length ? new RegExp(secrets.map(escapeRegExp).join('|'), 'g') : null;
  // The same secrets as byte strings (one char per byte), for output that is not UTF-8.
  const latinLiteral = secrets.length ? new RegExp(secrets.map((s) => escapeRegExp(Buffer.from(s, 'utf8').toString('latin1'))).join('|'), 'g') : null;
  const latinPatterns = [...(sources.patterns ?? [])].map((p) => new RegExp(p, 'g'));
  const longestSecretBytes = Math.max(0, ...secrets.map((s) => Buffer.byteLength(s)));

  const redact = (text: string): string => {
    let out = literal ? text.replace(literal, MASK) : text;
    for (const pattern of patterns) out = out.replace(pattern, (match) => (match.length ? MASK : match));
    return out;
  };

  const redactBytes = (bytes: Uint8Array): Uint8Array => {
    if (!literal && patterns.length === 0) return bytes;
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      return redactLatin1(bytes);
    }
    const masked = redact(text);
    return masked === text ? bytes : utf8.encode(masked);
  };

  const redactLatin1 = (bytes: Uint8Array): Uint8Array => {
    const text = Buffer.from(bytes).toString('latin1');
    let out = latinLiteral ? text.replace(latinLiteral, MASK) : text;
    for (const pattern of latinPatterns) out = out.replace(pattern, (match) => (match.length ? MASK : match));
    return out === text ? bytes : new Uint8Array(Buffer.from(out, 'latin1'));
  };

  const tailBytes = Math.max(longestSecretBytes - 1, patterns.length ? REGEX_TAIL_BYTES : 0);
  return {
    redact,
    redactBytes,
    secrets,
    stream: () => createStreamRedactor(redactBytes, (held, cut) => safeCut(held, cut, [latinLiteral, ...latinPatterns]), tailBytes),
  };
}

/** Moves a cut inside a long line so that it splits neither a secret nor a UTF-8 character. */
function safeCut(held: Buffer, cut: number, matchers: (RegExp | null)[]): number {
  const text = held.toString('latin1');
  for (const matcher of matchers) {
    if (!matcher) continue;
    for (const match of text.matchAll(matcher)) {
      const end = match.index + match[0].length;
      if (match.index < cut && end > cut) cut = end;
    }
  }
  let back = 0;
  while (back < 3 && cut - back > 0 && cut - back < held.length && (held[cut - back]! & 0xc0) === 0x80) back++;
  return back < 3 || (held[cut - back]! & 0xc0) !== 0x80 ? cut - back : cut;
}

function createStreamRedactor(
  redactBytes: (bytes: Uint8Array) => Uint8Array,
  adjustCut: (held: Buffer, cut: number) => number,
  tailBytes: number,
): StreamRedactor {
  let held: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      held = held.length ? Buffer.concat([held, chunk]) : Buffer.from(chunk);
      const newline = held.lastIndexOf(0x0a);
      let cut = newline >= 0 ? newline + 1 : 0;
      if (held.length - cut > MAX_HELD_BYTES) cut = adjustCut(held, held.length - tailBytes);
      if (cut <= 0) return new Uint8Array(0);
      const ready = held.subarray(0, cut);
      held = Buffer.from(held.subarray(cut));
      return redactBytes(ready);
    },
    end() {
      const rest = held;
      held = Buffer.alloc(0);
      return rest.length ? redactBytes(rest) : new Uint8Array(0);
    },
  };
}

function unicodeRegExp(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'gu');
  } catch {
    return new RegExp(pattern, 'g');
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A redactor that masks nothing (tests, and runs with no secrets configured). */
export const noRedaction: Redactor = createRedactor({});
