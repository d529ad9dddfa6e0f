/**
 * .dockerignore matching as Docker's builder does it (patterns relative to the context root, `*`, `?`,
 * `**`, `!` exceptions, the last matching pattern wins), enough to pack a context the way ACR sees it.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negated, regex: patternToRegex(pattern) };
    });
  return (path) => {
    let ignored = false;
    for (const rule of rules) {
      // A pattern naming a directory also excludes everything under it.
      const segments = path.split('/');
      const matches = segments.some((_, i) => rule.regex.test(segments.slice(0, i + 1).join('/')));
      if (matches) ignored = !rule.negated;
    }
    return ignored;
  };
}

function patternToRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
