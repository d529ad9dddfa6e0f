/** What `wire-chat` prints: the changes (secrets masked) and the next step, or one JSON object. */
import type { Change } from '../ops/wire-chat/values.js';
import type { WireChatResult } from '../ops/wire-chat/index.js';

export function formatWireChat(result: WireChatResult, deploying: boolean): string {
  const lines: string[] = [];
  if (result.created) lines.push(`Created azd environment ${result.chatEnvironment} in ${result.chatDir}.`);
  lines.push(
    `Chat app ${result.chatDir}, environment ${result.chatEnvironment}: ${result.generation} client generation (${result.generationFrom === '--generation' ? 'from --generation' : `read from ${result.generationFrom}`}).`,
  );
  if (result.changes.length === 0) {
    lines.push(`Already wired to balancer environment ${result.balancerEnvironment}: nothing changed.`);
  } else {
    lines.push(
      `Set ${result.changes.length} value${result.changes.length === 1 ? '' : 's'} ${result.via === 'azd' ? 'with azd env set' : `in ${result.envFile}`}:`,
    );
    const shown = result.changes.map(displayed);
    const width = Math.max(...shown.map((change) => change.key.length));
    for (const change of shown) lines.push(`  ${change.key.padEnd(width)}  ${change.old} → ${change.new}`);
    if (result.unchanged.length > 0) lines.push(`Already right: ${result.unchanged.join(', ')}.`);
  }
  if (result.keyless) {
    const who = result.keyless.allowedClientIds.length > 0 ? `clients ${result.keyless.allowedClientIds.join(', ')}` : 'any client of its tenant';
    lines.push(
      `Keyless: the balancer takes Entra ID tokens (CLIENT_AUTH=entra) from ${who}, so the chat app gets no key and calls it with its own token`,
      '(its managed identity once deployed, your az/azd login when run locally).',
    );
  }
  if (!deploying) lines.push('', 'Next: deploy the chat app with these settings:', `  cd ${result.chatDir} && azd up --environment ${result.chatEnvironment}`);
  return `${lines.join('\n')}\n`;
}

export function wireChatJson(result: WireChatResult): Record<string, unknown> {
  return {
    balancerEnvironment: result.balancerEnvironment,
    chatDir: result.chatDir,
    chatEnvironment: result.chatEnvironment,
    created: result.created,
    generation: result.generation,
    generationFrom: result.generationFrom,
    via: result.via,
    envFile: result.envFile,
    changes: result.changes.map(displayed),
    unchanged: result.unchanged,
    keyless: result.keyless !== undefined,
    ...(result.keyless ? { allowedClientIds: result.keyless.allowedClientIds } : {}),
  };
}

/** `abcd…(43 chars)`: enough to tell two keys apart, not enough to use one. Short secrets show as `****`. */
export function maskSecret(value: string): string {
  return value.length < 16 ? '****' : `${value.slice(0, 4)}…(${value.length} chars)`;
}

/** A change as the user may see it: secrets masked, an absent value as `(unset)`. */
export function displayed(change: Change): { key: string; old: string; new: string } {
  const show = (value: string | undefined) => (value === undefined ? '(unset)' : value === '' ? '(empty)' : change.secret ? maskSecret(value) : value);
  return { key: change.key, old: show(change.old), new: show(change.new) };
}
