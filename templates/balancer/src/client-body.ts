/**
 * Reading a client's request body, bounded in size and in time, and refusing a request early. A refused
 * request whose body is still coming closes its connection rather than reading the rest: a client that
 * trickles a large body must not hold a connection that will never be used again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, sendAzureError, type AzureError } from './azure-errors.js';

export interface BodyLimits {
  maxBytes: number;
  /** Longest silence between two chunks of the body. */
  idleTimeoutMs: number;
}

/** The whole body, or undefined when the request was refused or the client went away. */
export function readClientBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    refuseEarly(req, res, errors.bodyTooLarge(limits.maxBytes));
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (body: Buffer | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      resolve(body);
    };
    const onIdle = (): void => {
      refuseEarly(req, res, errors.requestTimeout(limits.idleTimeoutMs));
      settle(undefined);
    };
    const timer = setTimeout(onIdle, limits.idleTimeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBytes) {
        refuseEarly(req, res, errors.bodyTooLarge(limits.maxBytes));
        settle(undefined);
        return;
      }
      chunks.push(chunk);
      timer.refresh();
    };
    req.on('data', onData);
    req.on('end', () => settle(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    // The client went away while sending: nothing to answer.
    req.on('error', () => settle(undefined));
    req.on('close', () => {
      if (!req.complete) settle(undefined);
    });
  });
}

/** Answers before the body was read: the connection closes after the answer unless nothing more is coming. */
export function refuseEarly(req: IncomingMessage, res: ServerResponse, error: AzureError): void {
  withoutBody(req, res);
  sendAzureError(res, error);
}

/** For answers that take no body (the balancer's own endpoints): a body still coming is not read, and the connection closes. */
export function withoutBody(req: IncomingMessage, res: ServerResponse): void {
  if (!req.complete && hasBody(req)) {
    res.setHeader('connection', 'close');
    res.once('finish', () => req.socket.destroySoon());
    req.pause();
  } else {
    req.resume();
  }
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
