/**
 * Secrets read from files, as Docker and Kubernetes mount them (`/run/secrets/…`): `NAME_FILE` names a file
 * whose content is the value of `NAME`, so the secret stays out of the process environment. Synchronous,
 * because loadConfig is. A problem names the variable and the path, never the file's content.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** More than any list of keys; a larger file is the wrong file (or /dev/zero), and is not read whole. */
export const maxSecretFileBytes = 64 * 1024;

const reasons: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

/**
 * The value of `name` from the environment, or from the file `name_FILE` names; undefined when neither is
 * set (blank counts as not set). Both set, or a file that cannot be read, is a problem.
 */
export function readSetting(name: string, value: string | undefined, file: string | undefined, problems: string[]): string | undefined {
  const fileName = `${name}_FILE`;
  const direct = value?.trim() ? value : undefined;
  const path = file?.trim();
  if (!path) return direct;
  if (direct !== undefined) {
    problems.push(`${fileName}: set together with ${name}; set only one of them (${fileName} keeps the secret out of the environment).`);
    return undefined;
  }
  return readSecretFile(fileName, path, problems);
}

/** The file's text without a BOM; undefined (and a problem) when it cannot be read or is too large. */
export function readSecretFile(variable: string, path: string, problems: string[]): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(maxSecretFileBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxSecretFileBytes) {
      problems.push(`${variable}: "${path}" is larger than ${maxSecretFileBytes / 1024} KiB; point it at the file that holds only the secret.`);
      return undefined;
    }
    return buffer
      .subarray(0, length)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    problems.push(`${variable}: cannot read "${path}": ${reasons[code] ?? (code || 'unreadable')}.`);
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
