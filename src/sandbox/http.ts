/** Small helpers over node:http for the sandbox server: JSON bodies in, JSON answers out. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SandboxHttpError } from './errors';

const MAX_BODY_BYTES = 1_048_576;

/** The request's JSON body, `undefined` when it is empty; 400 on invalid JSON, 413 when too large. */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new SandboxHttpError(413, 'PAYLOAD_TOO_LARGE', `Body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SandboxHttpError(400, 'INVALID_JSON', 'The request body is not valid JSON');
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
