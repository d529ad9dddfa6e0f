import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, UserError } from '../../../src/core/errors.js';
import { capacityRequest, deploymentChoices } from '../../../src/ops/capacity/request.js';

/** A usage error (exit 2) with this code, a message matching `pattern` and a suggestion matching `fix`. */
const usage = (code: string, pattern: RegExp, fix: RegExp) => (error: unknown) => {
  assert.ok(error instanceof UserError, `a UserError, not ${String(error)}`);
  assert.equal(error.code, code);
  assert.equal(error.exitCode, ExitCode.usage);
  assert.match(error.message, pattern);
  assert.match(error.suggestion ?? '', fix);
  return true;
};

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const badCapacity = (text: string) =>
  usage(
    'invalid-argument',
    new RegExp(`^capacity "${literal(text)}" is not a whole number of thousands of tokens per minute from 1 to 10000\\.$`),
    /aoai-lb capacity 50/,
  );

describe('capacity <K-TPM>: a whole number of thousands of TPM from 1 to 10000', () => {
  it('reads a plain number as thousands of TPM for both deployments by default', () => {
    assert.deepEqual(capacityRequest('50'), { capacity: 50, which: 'all', roles: ['chat', 'embedding'] });
  });

  it('takes the range ends 1 and 10000', () => {
    assert.equal(capacityRequest('1').capacity, 1);
    assert.equal(capacityRequest('10000').capacity, 10_000);
  });

  it('accepts a trailing K in either case, and spaces around the number and the K', () => {
    assert.equal(capacityRequest('50K').capacity, 50);
    assert.equal(capacityRequest('50k').capacity, 50);
    assert.equal(capacityRequest(' 50 K ').capacity, 50);
    assert.equal(capacityRequest('\t75\n').capacity, 75);
  });

  it('reads leading zeros as the decimal number', () => {
    assert.equal(capacityRequest('050').capacity, 50);
    assert.equal(capacityRequest('0010K').capacity, 10);
  });

  it('refuses 0 and anything above 10000 as a usage error naming the argument', () => {
    for (const text of ['0', '0K', '10001', '99999999999999999999']) assert.throws(() => capacityRequest(text), badCapacity(text));
  });

  it('refuses what is not a whole number of K: decimals, signs, exponents, units other than K, words', () => {
    for (const text of ['50.5', '-5', '+5', '1e3', '50M', '50KK', 'K', '50 000', 'lots', '0x10', '５０']) {
      assert.throws(() => capacityRequest(text), badCapacity(text));
    }
  });

  it('refuses a missing or blank argument, shown as ""', () => {
    assert.throws(() => capacityRequest(undefined), badCapacity(''));
    assert.throws(() => capacityRequest(''), badCapacity(''));
    assert.throws(() => capacityRequest('   '), badCapacity('   '));
  });

  it('checks the capacity before --deployment: a bad capacity is reported even with a bad --deployment', () => {
    assert.throws(() => capacityRequest('0', 'foo'), badCapacity('0'));
  });
});

describe('--deployment chat|embedding|all', () => {
  it('offers exactly chat, embedding and all', () => {
    assert.deepEqual([...deploymentChoices], ['chat', 'embedding', 'all']);
  });

  it('chat or embedding chooses that role alone; all (also when not given) chooses both, chat first', () => {
    assert.deepEqual(capacityRequest('40', 'chat'), { capacity: 40, which: 'chat', roles: ['chat'] });
    assert.deepEqual(capacityRequest('40', 'embedding'), { capacity: 40, which: 'embedding', roles: ['embedding'] });
    assert.deepEqual(capacityRequest('40', 'all'), { capacity: 40, which: 'all', roles: ['chat', 'embedding'] });
    assert.deepEqual(capacityRequest('40', undefined), { capacity: 40, which: 'all', roles: ['chat', 'embedding'] });
  });

  it('refuses any other value, case-sensitively and with no trimming, as a usage error with the three choices', () => {
    for (const which of ['foo', 'Chat', 'ALL', ' chat', 'chat,embedding', '', 'embeddings']) {
      assert.throws(
        () => capacityRequest('50', which),
        usage(
          'invalid-flag',
          new RegExp(`^--deployment "${literal(which)}" is not chat, embedding or all\\.$`),
          /--deployment chat, --deployment embedding or --deployment all \(the default\)/,
        ),
      );
    }
  });
});
