/**
 * A programmable HTTP backend on 127.0.0.1 that records every request it receives (method, URL,
 * headers, exact body bytes) and answers with whatever the test's handler writes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** Resolves when the client side of this request went away before the response ended. */
  aborted: Promise<void>;
}

export type Handler = (request: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface RecordingBackend {
  url: string;
  requests: RecordedRequest[];
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export const okChat: Handler = (_request, res) => {
  const body = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-35-turbo',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hello' } }],
    usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining-tokens': '1000', 'x-ratelimit-remaining-requests': '10' });
  res.end(body);
};

export async function startRecordingBackend(handler: Handler = okChat): Promise<RecordingBackend> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const aborted = new Promise<void>((resolve) => {
        res.on('close', () => {
          if (!res.writableFinished) resolve();
        });
      });
      const request: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), aborted };
      requests.push(request);
      Promise.resolve(current(request, res)).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(next) {
      current = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
