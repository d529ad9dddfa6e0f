/**
 * Passes a backend's response to the client as it arrives: chunk by chunk with back-pressure, never
 * buffered whole. If the backend dies after bytes went out, a streaming (SSE) client gets a well-formed
 * error event so its SDK raises instead of seeing a silently cut answer; other clients see the
 * connection drop.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Balancer } from './balancer.js';
import { downstreamHeaders } from './http-headers.js';
import type { BackendState } from './state.js';
import { UsageTap } from './usage-tap.js';
import type { ClientGone } from './client-gone.js';

export function streamResponse(
  balancer: Balancer,
  backend: BackendState,
  deployment: string,
  response: Dispatcher.ResponseData,
  res: ServerResponse,
  clientGone: ClientGone,
): Promise<void> {
  const headers = downstreamHeaders(response.headers);
  headers['x-aoai-lb-backend'] = backend.id;
  res.writeHead(response.statusCode, headers);
  const isEventStream = String(response.headers['content-type'] ?? '').includes('text/event-stream');
  const tap = new UsageTap();
  const body = response.body;

  return new Promise<void>((resolve) => {
    const onDrain = (): void => {
      body.resume();
    };
    const finish = (): void => {
      res.off('drain', onDrain);
      resolve();
    };
    res.on('drain', onDrain);
    body.on('data', (chunk: Buffer) => {
      tap.push(chunk);
      if (!res.write(chunk)) body.pause();
    });
    body.on('end', () => {
      res.end();
      recordUsage(backend, deployment, tap);
      finish();
    });
    body.on('error', (error: Error & { code?: string }) => {
      if (clientGone.aborted) {
        finish();
        return;
      }
      balancer.logger.log('error', 'Backend failed mid-response', {
        backend: backend.id,
        deployment,
        error: error.code ?? error.message,
      });
      if (isEventStream && !res.writableEnded) {
        const event = {
          error: { code: 'BackendStreamInterrupted', message: `The backend stopped sending the stream (${error.code ?? error.message}). Retry the request.` },
        };
        res.end(`data: ${JSON.stringify(event)}\n\n`);
      } else {
        res.destroy();
      }
      finish();
    });
  });
}

function recordUsage(backend: BackendState, deployment: string, tap: UsageTap): void {
  const usage = tap.usage();
  if (!usage) return;
  backend.deployment(deployment).recordUsage(usage.promptTokens, usage.completionTokens);
}
