/**
 * The store's atomic steps, as Lua scripts (EVALSHA, loaded on first use): a cooldown only ever extended,
 * a reading only ever replaced by a newer one, a reservation counted up and down per replica.
 */
import { defineScript, type CommandParser } from '@redis/client';
import type { NumberReply } from '@redis/client/dist/lib/RESP/types.js';

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

/** rt, rr, ro := the reading when it was taken after the stored one ('' leaves a value out). Returns 1 when kept. */
export const observeReading = defineScript({
  SCRIPT: `
local stored = tonumber(redis.call('HGET', KEYS[1], 'ro') or '0')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if tonumber(ARGV[3]) <= stored then return 0 end
redis.call('HSET', KEYS[1], 'ro', ARGV[3])
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'rt') else redis.call('HSET', KEYS[1], 'rt', ARGV[1]) end
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'rr') else redis.call('HSET', KEYS[1], 'rr', ARGV[2]) end
return 1`,
  NUMBER_OF_KEYS: 1,
  parseCommand(parser: CommandParser, key: string, tokens: number | undefined, requests: number | undefined, at: number, ttlMs: number) {
    parser.pushKey(key);
    parser.push(tokens === undefined ? '' : String(tokens), requests === undefined ? '' : String(requests), String(Math.floor(at)), String(ttlMs));
  },
  transformReply: transformNumber,
});

/** t:{replica} += tokens, q:{replica} += requests; a count that falls to 0 or below is removed. */
export const countInFlight = defineScript({
  SCRIPT: `
local tokens = redis.call('HINCRBY', KEYS[1], 't:' .. ARGV[1], ARGV[2])
local requests = redis.call('HINCRBY', KEYS[1], 'q:' .. ARGV[1], ARGV[3])
if requests <= 0 then redis.call('HDEL', KEYS[1], 't:' .. ARGV[1], 'q:' .. ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return requests`,
  NUMBER_OF_KEYS: 1,
  parseCommand(parser: CommandParser, key: string, replica: string, tokens: number, requests: number, ttlMs: number) {
    parser.pushKey(key);
    parser.push(replica, String(Math.round(tokens)), String(requests), String(ttlMs));
  },
  transformReply: transformNumber,
});

export const scripts = { extendUntil, observeReading, countInFlight };
