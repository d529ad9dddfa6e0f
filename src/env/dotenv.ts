/**
 * The .env format azd reads and writes (joho/godotenv v1.5.1 as azd uses it, azure-provisioning.md §6):
 * one `KEY="value"` line per key, the lines sorted, integers unquoted unless that would change the
 * text, `\ \n \r " ! $ `` escaped inside the double quotes, lines joined by `\n` and one final `\n`.
 */

export type EnvValues = Record<string, string>;

const escapes: Array<[string, string]> = [
  ['\\', '\\\\'],
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['"', '\\"'],
  ['!', '\\!'],
  ['$', '\\$'],
  ['`', '\\`'],
];

/**
 * godotenv.Marshal. With azd's fix-up (how azd saves `.azure/<env>/.env`) an integer is unquoted only
 * when printing it gives the same text back ("01" stays quoted); without it (how `azd env get-values`
 * prints) every value Go's strconv.Atoi accepts is printed as that integer.
 */
export function marshalDotenv(values: EnvValues, { azdFixup = true } = {}): string {
  const lines = Object.entries(values).map(([key, value]) => {
    const integer = atoi(value);
    if (integer !== undefined && (!azdFixup || integer === value)) return `${key}=${integer}`;
    return `${key}="${escape(value)}"`;
  });
  lines.sort(compareBytes);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Go's strconv.Atoi on a 64-bit platform: the integer's canonical text, or undefined. */
function atoi(value: string): string | undefined {
  if (!/^[+-]?\d+$/.test(value)) return undefined;
  const number = BigInt(value);
  return number >= -(2n ** 63n) && number < 2n ** 63n ? number.toString() : undefined;
}

function escape(value: string): string {
  let out = value;
  for (const [char, replacement] of escapes) out = out.split(char).join(replacement);
  return out;
}

/** Go's sort.Strings compares bytes. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class DotenvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'DotenvSyntaxError';
  }
}

const keyPattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Reads a .env file as godotenv does: `KEY=value`, optional `export `, `#` comments, double-quoted
 * values with escapes and `${VAR}` expansion from earlier keys, single-quoted values taken literally,
 * unquoted values trimmed and cut at ` #`.
 */
export function parseDotenv(text: string): EnvValues {
  const values: EnvValues = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const body = trimmed.startsWith('export ') ? trimmed.slice('export '.length).trimStart() : trimmed;
    const separator = body.search(/[=:]/);
    if (separator <= 0) throw new DotenvSyntaxError(index + 1, `expected KEY=value, found "${truncate(trimmed)}"`);
    const key = body.slice(0, separator).trim();
    if (!keyPattern.test(key)) throw new DotenvSyntaxError(index + 1, `"${truncate(key)}" is not a valid variable name`);
    let rest = body.slice(separator + 1).trimStart();
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const quote = rest[0]!;
      // A quoted value may run over several lines.
      let end = closingQuote(rest, quote);
      while (end === -1 && index + 1 < lines.length) {
        rest += `\n${lines[++index]!}`;
        end = closingQuote(rest, quote);
      }
      if (end === -1) throw new DotenvSyntaxError(index + 1, `the ${quote === '"' ? 'double' : 'single'} quote of ${key} is never closed`);
      const inner = rest.slice(1, end);
      values[key] = quote === "'" ? inner : expand(unescape(inner), values);
    } else {
      const comment = rest.search(/\s#/);
      values[key] = expand((comment === -1 ? rest : rest.slice(0, comment)).trim(), values);
    }
  }
  return values;
}

function closingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\' && quote === '"') {
      i++;
      continue;
    }
    if (text[i] === quote) return i;
  }
  return -1;
}

/** Backslash escapes, except `\$`, which expansion reads as a literal dollar. */
function unescape(value: string): string {
  return value.replace(/\\([^$])/gs, (_match, char: string) => (char === 'n' ? '\n' : char === 'r' ? '\r' : char));
}

/**
 * godotenv's expansion: `${VAR}` / `$VAR` (upper-case names) from keys read earlier, unknown ones empty;
 * `\$` (and `$(`) stay literal, without the backslash; any other `$` stays as it is.
 */
function expand(value: string, known: EnvValues): string {
  return value.replace(/(\\)?\$(\()?\{?([A-Z0-9_]+)?\}?/g, (match, escaped?: string, paren?: string, name?: string) => {
    if (escaped || paren) return match.slice(1);
    if (name) return known[name] ?? '';
    return match;
  });
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
