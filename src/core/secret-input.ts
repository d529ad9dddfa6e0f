/**
 * Secrets given to the CLI without putting them on its command line, where `ps` (and /proc/<pid>/cmdline)
 * shows them to every user of the machine: read from a file (`--client-api-keys-file PATH`,
 * `--backend URL=@PATH`) or from stdin (`-`). Every problem names the flag and the path, never the content.
 */
import { invalidFlag } from './flags.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError } from './errors.js';

/** Far more than any list of keys; a larger file is the wrong file (or /dev/zero) and is not read whole. */
export const maxSecretBytes = 64 * 1024;

const reasons: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

const usage = invalidFlag;

/** The file's text (without a BOM), read synchronously and at most maxSecretBytes of it. */
export function readSecretFile(flag: string, path: string, what: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(maxSecretBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxSecretBytes)
      throw usage(`${flag}: "${path}" is larger than ${maxSecretBytes / 1024} KiB`, `point ${flag} at the file that holds only ${what}`);
    return buffer
      .subarray(0, length)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    // The cause is an fs error: it names the path and the call, never the content.
    throw usage(`${flag}: cannot read "${path}": ${reasons[code] ?? (code || 'unreadable')}`, `check the path; the file must hold ${what}`, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** All of stdin as text; refused when stdin is a terminal (nothing would say it waits for input). */
export async function readSecretStdin(flag: string, what: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) {
    throw usage(`${flag} - reads ${what} from stdin, and stdin is a terminal`, `pipe them in, e.g. \`${flag} - < keys.txt\`, or give a file: ${flag} <path>`);
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    length += buffer.length;
    if (length > maxSecretBytes) {
      stdin.destroy();
      throw usage(`${flag} -: stdin holds more than ${maxSecretBytes / 1024} KiB`, `send only ${what} to stdin`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
}

/** Keys separated by commas or newlines; blank lines and surrounding whitespace dropped. */
export function splitKeys(text: string): string[] {
  return text
    .split(/[,\r\n]/)
    .map((key) => key.trim())
    .filter(Boolean);
}

export interface BackendSpec {
  url: string;
  /** Absent: the balancer's credential (managed identity / az login). */
  apiKey: string | undefined;
  /** Set for the `URL=@PATH` form. */
  keyFile?: string;
}

/**
 * `URL`, `URL=KEY` or `URL=@PATH` (the key read from that file: one line, surrounding whitespace trimmed).
 * The key may contain '=' (base64); a key that starts with '@' has to come from a file.
 */
export function parseBackendSpec(flag: string, value: string): BackendSpec {
  const separator = value.indexOf('=');
  const url = (separator === -1 ? value : value.slice(0, separator)).trim();
  if (separator === -1) return { url, apiKey: undefined };
  const rest = value.slice(separator + 1);
  if (!rest.startsWith('@')) return { url, apiKey: rest.trim() };
  const path = rest.slice(1).trim();
  if (!path) throw usage(`${flag} ${url}=@ names no file`, `give the path of the file that holds the key: ${flag} ${url}=@/run/secrets/backend-key`);
  const key = readSecretFile(flag, path, `the backend's key`).trim();
  if (!key)
    throw usage(`${flag}: the key file "${path}" for ${url} is empty`, `put the backend's key in it, or leave out "=@…" to use az login / managed identity`);
  if (/[\r\n]/.test(key)) throw usage(`${flag}: the key file "${path}" for ${url} holds more than one line`, `put only the backend's key in it`);
  return { url, apiKey: key, keyFile: path };
}

/** The one-line warning for a key given on the command line. */
export function commandLineKeyWarning(flag: string, preferred: string): string {
  return `warning: ${flag} puts a key on the command line, where \`ps\` shows it to every user of this machine; prefer ${preferred}.\n`;
}
