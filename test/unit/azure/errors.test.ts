import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors.js';
import { armErrorOf, explain } from '../../../src/azure/errors.js';

/** What @azure/core-rest-pipeline's RestError carries: the ARM code on `.code`. */
function restError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode: 400 });
}

test("the code comes from a RestError, or from core-lro's message for a Failed operation", () => {
  assert.deepEqual(armErrorOf(restError('InsufficientQuota', 'This operation require 60 new capacity')), {
    code: 'InsufficientQuota',
    message: 'This operation require 60 new capacity',
  });
  assert.deepEqual(armErrorOf(new Error('The long-running operation has failed. InvalidRequestParameterWithDetails. The shared key is wrong.')), {
    code: 'InvalidRequestParameterWithDetails',
    message: 'The shared key is wrong.',
  });
  assert.equal(armErrorOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), undefined);
  assert.equal(armErrorOf('not an error'), undefined);
});

test('known codes become one line of what went wrong and one of what to do, keeping the cause', () => {
  const cause = restError(
    'InsufficientQuota',
    'This operation require 60 new capacity in quota Tokens Per Minute (thousands) - gpt-4o-mini, which is bigger than the current available capacity 30.',
  );
  const error = explain(cause, { resource: 'deployment chat on openai2-abc (swedencentral)', environment: 'dev' });
  assert.ok(error instanceof UserError);
  assert.equal(error.code, 'azure-error');
  assert.equal(error.azureCode, 'InsufficientQuota');
  assert.match(error.message, /deployment chat on openai2-abc \(swedencentral\).*available capacity 30/);
  assert.match(error.suggestion!, /aoai-lb env set OPENAI_CAPACITY 20 --env dev/);
  assert.match(error.suggestion!, /--regions auto/);
  assert.equal(error.cause, cause);
});

test('each error issue 3 names has its fix', () => {
  const fixes: Record<string, RegExp> = {
    CustomDomainInUse: /aoai-lb down --purge/,
    FlagMustBeSetForRestore: /aoai-lb down --purge/,
    TasksOperationsNotAllowed: /--image/,
    InvalidResourceProperties: /--regions auto|--sku/,
  };
  for (const [code, fix] of Object.entries(fixes)) {
    const error = explain(restError(code, 'detail'));
    assert.ok(error, code);
    assert.match(error.suggestion!, fix, code);
  }
});

test('unknown codes are left to the caller', () => {
  assert.equal(explain(restError('SomethingNew', 'x')), undefined);
});

test("a region without Azure Managed Redis points at --location, the balancer's region, not --regions", () => {
  const error = explain(
    restError('LocationNotAvailableForResourceType', "The provided location 'x' is not available for resource type 'Microsoft.Cache/redisEnterprise'."),
    {
      resource: 'Azure Managed Redis redis-abc (x)',
    },
  );
  assert.match(error!.suggestion!, /--location/);
  assert.doesNotMatch(error!.suggestion!, /--regions/);
  assert.match(explain(restError('LocationNotAvailableForResourceType', 'no'), { resource: 'OpenAI account a (x)' })!.suggestion!, /--regions/);
});
