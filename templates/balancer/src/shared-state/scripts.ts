/**
 * The store's atomic steps, as Lua scripts (EVALSHA, loaded on first use): a cooldown only ever extended,
 * and what a replica learned of a deployment (its in-flight totals, its newest reading) written at once.
 */
import { defineScript, type CommandParser } from '@redis/client';
import type { NumberReply } from '@redis/client/dist/lib/RESP/types.js';
import type { InFlight } from '../state.js';

const transformNumber = undefined as unknown as () => NumberReply;

/** HSET field := until when until is later; refresh the TTL; publish the event when it was extended. Returns 1 when extended. */
export const extendUntil = defineScript({
  SCRIPT: `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local deadline = tonumber(ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if deadline <= current then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`,
  NUMBER_OF_KEYS: 1,
  parseCommand(parser: CommandParser, key: string, field: string, until: number, ttlMs: number, channel: string, event: string) {
    parser.pushKey(key);
    parser.push(field, String(Math.ceil(until)), String(ttlMs), channel, event);
  },
  transformReply: transformNumber,
});

/**
 * What one replica learned of one deployment since its last write, in one step:
 *   - its in-flight count, as totals (t:{replica}, q:{replica}, and s:{replica} the newest send times,
 *     comma-separated; removed at 0) — a total, not a change, so a write lost while the store was away is
 *     mended by the next one;
 *   - rt, rr, ro := its newest reading, when that was taken after the stored one ('' leaves a value out).
 * Either part may be absent ('' as the request count, or as the reading's time). Returns 1.
 */
export const writeDeployment = defineScript({
  SCRIPT: `
if ARGV[3] ~= '' then
  if tonumber(ARGV[3]) > 0 then
    redis.call('HSET', KEYS[1], 't:' .. ARGV[1], ARGV[2], 'q:' .. ARGV[1], ARGV[3], 's:' .. ARGV[1], ARGV[8])
  else
    redis.call('HDEL', KEYS[1], 't:' .. ARGV[1], 'q:' .. ARGV[1], 's:' .. ARGV[1])
  end
end
if ARGV[7] ~= '' and tonumber(ARGV[7]) > tonumber(redis.call('HGET', KEYS[1], 'ro') or '0') then
  redis.call('HSET', KEYS[1], 'ro', ARGV[7])
  if ARGV[5] == '' then redis.call('HDEL', KEYS[1], 'rt') else redis.call('HSET', KEYS[1], 'rt', ARGV[5]) end
  if ARGV[6] == '' then redis.call('HDEL', KEYS[1], 'rr') else redis.call('HSET', KEYS[1], 'rr', ARGV[6]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`,
  NUMBER_OF_KEYS: 1,
  parseCommand(parser: CommandParser, key: string, replica: string, inFlight: InFlight | undefined, reading: Reading | undefined, ttlMs: number) {
    parser.pushKey(key);
    const text = (value: number | undefined): string => (value === undefined ? '' : String(Math.round(value)));
    parser.push(
      replica,
      text(inFlight?.tokens),
      text(inFlight?.requests),
      String(ttlMs),
      text(reading?.tokens),
      text(reading?.requests),
      reading === undefined ? '' : String(Math.floor(reading.at)),
      (inFlight?.sentAt ?? []).map((at) => String(Math.floor(at))).join(','),
    );
  },
  transformReply: transformNumber,
});

export interface Reading {
  tokens: number | undefined;
  requests: number | undefined;
  /** When it was taken, ms since epoch. */
  at: number;
}

export const scripts = { extendUntil, writeDeployment };
