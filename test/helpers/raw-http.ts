/** HTTP/1.1 over a raw socket, for requests no HTTP client would send and for watching a connection close. */
import { connect, type Socket } from 'node:net';
import { waitFor } from './wait.js';

export interface RawConnection {
  socket: Socket;
  /** Everything received so far, as latin1 text. */
  received(): string;
  closed(): boolean;
  send(text: string | Buffer): void;
  /** Resolves with what was received once the server closed the connection. */
  untilClosed(timeoutMs?: number): Promise<string>;
  untilReceived(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export async function openRaw(baseUrl: string): Promise<RawConnection> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (isClosed = true));
  return {
    socket,
    received: () => text,
    closed: () => isClosed,
    send: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    untilClosed: async (timeoutMs = 10_000) => {
      await waitFor(`the server to close the connection (received: ${JSON.stringify(text.slice(0, 300))})`, () => isClosed || undefined, timeoutMs);
      return text;
    },
    untilReceived: async (pattern, timeoutMs = 10_000) => {
      await waitFor(`${pattern} on the connection (received: ${JSON.stringify(text.slice(0, 300))})`, () => pattern.test(text) || undefined, timeoutMs);
      return text;
    },
    close: () => socket.destroy(),
  };
}

/** Sends `text` on a new connection and resolves with everything received until the server closes it. */
export async function exchange(baseUrl: string, text: string | Buffer, timeoutMs = 10_000): Promise<string> {
  const connection = await openRaw(baseUrl);
  try {
    connection.send(text);
    return await connection.untilClosed(timeoutMs);
  } finally {
    connection.close();
  }
}
