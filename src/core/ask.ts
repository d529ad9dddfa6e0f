/** One question on stderr, one line of answer from stdin; undefined once stdin has ended (Ctrl-D, a closed pipe). */
import { createInterface } from 'node:readline/promises';

export async function askLine(question: string): Promise<string | undefined> {
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  // An answer never comes once stdin ends; the question alone would wait forever.
  const closed = new Promise<undefined>((resolve) => readline.once('close', () => resolve(undefined)));
  try {
    const answer = await Promise.race([readline.question(question), closed]);
    return answer?.trim();
  } finally {
    readline.close();
  }
}
