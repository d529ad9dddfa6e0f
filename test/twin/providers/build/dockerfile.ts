// A Dockerfile parser for the twin's local build: instructions with line continuations, comments,
// exec (JSON) and shell forms, flags (--from=, --chown=, …) and variable substitution ($VAR, ${VAR},
// ${VAR:-default}). Grouped into stages by FROM … [AS name].

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  keyword: string;
  /** The text after the keyword, continuations joined. */
  raw: string;
  /** The instruction as Docker prints it in `Step n/N : …`. */
  display: string;
  line: number;
}

export interface Stage {
  index: number;
  name?: string;
  baseImage: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** ARGs before the first FROM (usable in FROM lines). */
  globalArgs: Instruction[];
  stages: Stage[];
  /** Every instruction in order, for the step count. */
  all: Instruction[];
}

export class DockerfileError extends Error {}

export function parseDockerfile(text: string): ParsedDockerfile {
  const all: Instruction[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let buffer = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!buffer && /^\s*#/.test(line)) continue; // comments (and parser directives)
    if (buffer && /^\s*#/.test(line)) continue; // comment lines inside a continuation are dropped
    if (!buffer) start = i + 1;
    if (/\\\s*$/.test(line)) {
      buffer += line.replace(/\\\s*$/, ''); // Docker drops the backslash and the newline only
      continue;
    }
    buffer += line;
    const text = buffer.trim();
    buffer = '';
    if (!text) continue;
    const m = /^(\S+)\s*(.*)$/s.exec(text)!;
    const keyword = m[1]!.toUpperCase();
    const raw = m[2]!.trim();
    all.push({ keyword, raw, display: `${keyword} ${raw}`, line: start });
  }
  if (buffer.trim()) throw new DockerfileError('Dockerfile ends with a line continuation');
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of all) {
    if (ins.keyword === 'FROM') {
      const words = ins.raw.split(/\s+/).filter((w) => !w.startsWith('--'));
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ index: stages.length, baseImage: words[0] ?? '', name: asIndex > 0 ? words[asIndex + 1]?.toLowerCase() : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new DockerfileError(`Dockerfile parse error line ${ins.line}: unknown instruction before FROM: ${ins.keyword}`);
      globalArgs.push(ins);
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  if (stages.length === 0) throw new DockerfileError('Dockerfile has no FROM instruction');
  return { globalArgs, stages, all };
}

/** Exec form (`["a", "b"]`) → the array; shell form → undefined. */
export function execForm(raw: string): string[] | undefined {
  if (!raw.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed as string[];
  } catch {
    // Docker falls back to the shell form when the JSON is invalid
  }
  return undefined;
}

/** Leading `--name=value` flags and the rest. */
export function splitFlags(raw: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = raw;
  for (;;) {
    const m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest);
    if (!m) break;
    flags[m[1]!.toLowerCase()] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Docker's variable substitution for ENV, WORKDIR, COPY, EXPOSE, USER, ARG … (not RUN/CMD, the shell does that). */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\\\$|\$\{(\w+)(?::([-+])([^}]*))?\}|\$(\w+)/g, (match, braced?: string, op?: string, word?: string, bare?: string) => {
    if (match === '\\$') return '$';
    const name = braced ?? bare!;
    const value = vars[name];
    if (op === '-') return value ? value : (word ?? '');
    if (op === '+') return value ? (word ?? '') : '';
    return value ?? '';
  });
}

/** Words of a shell-form argument list, honouring quotes (for COPY sources, EXPOSE, ENV). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return words;
}

/** ENV/ARG pairs: `K=V K2="v 2"` or the legacy `K V with spaces`. */
export function keyValues(raw: string): [string, string][] {
  if (!/^[\w.-]+=/.test(raw)) {
    const m = /^(\S+)\s+(.*)$/s.exec(raw);
    return m ? [[m[1]!, m[2]!]] : [[raw, '']];
  }
  const pairs: [string, string][] = [];
  const re = /([\w.-]+)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw))) pairs.push([m[1]!, m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? m[5] ?? '')]);
  return pairs;
}
