import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardedQuery, parseRoute, upstreamPath } from '../src/routes.js';

test('dated route: deployment from the path, query split off', () => {
  assert.deepEqual(parseRoute('/openai/deployments/chat/chat/completions?api-version=2024-03-01-preview'), {
    style: 'deployment',
    path: '/openai/deployments/chat/chat/completions',
    query: '?api-version=2024-03-01-preview',
    pathDeployment: 'chat',
  });
  assert.deepEqual(parseRoute('/openai/deployments/embedding/embeddings'), {
    style: 'deployment',
    path: '/openai/deployments/embedding/embeddings',
    query: '',
    pathDeployment: 'embedding',
  });
  assert.equal(parseRoute('/openai/deployments/chat')!.pathDeployment, 'chat');
  assert.equal(parseRoute('/openai/deployments/chat?api-version=1')!.pathDeployment, 'chat');
});

test('dated route: a URL-encoded deployment is decoded, a malformed one kept as sent', () => {
  assert.equal(parseRoute('/openai/deployments/my%20chat/chat/completions')!.pathDeployment, 'my chat');
  assert.equal(parseRoute('/openai/deployments/gpt-4o%2Dmini/chat/completions')!.pathDeployment, 'gpt-4o-mini');
  assert.equal(parseRoute('/openai/deployments/bad%E0%A4%A/chat/completions')!.pathDeployment, 'bad%E0%A4%A');
});

test('v1 routes', () => {
  assert.deepEqual(parseRoute('/openai/v1/chat/completions'), {
    style: 'v1',
    path: '/openai/v1/chat/completions',
    query: '',
    pathDeployment: undefined,
  });
  assert.equal(parseRoute('/openai/v1')!.style, 'v1');
  assert.deepEqual(parseRoute('/openai/v1/embeddings?x=1'), { style: 'v1', path: '/openai/v1/embeddings', query: '?x=1', pathDeployment: undefined });
});

test('everything else is "other"', () => {
  for (const url of [
    '/',
    '/healthz',
    '/openai/v10/chat',
    '/openai/v1x',
    '/openai/deployments/',
    '/openai/deployments',
    '/openai/models?api-version=1',
    '/v1/chat/completions',
  ]) {
    const route = parseRoute(url)!;
    assert.equal(route.style, 'other', url);
    assert.equal(route.pathDeployment, undefined, url);
  }
  assert.deepEqual(parseRoute('/openai/models?api-version=2024-10-21'), {
    style: 'other',
    path: '/openai/models',
    query: '?api-version=2024-10-21',
    pathDeployment: undefined,
  });
});

test('upstreamPath: no prefix (a backend URL with path "/")', () => {
  const route = parseRoute('/openai/deployments/chat/chat/completions?api-version=2024-10-21')!;
  assert.equal(upstreamPath(route, '/', undefined), '/openai/deployments/chat/chat/completions?api-version=2024-10-21');
  assert.equal(upstreamPath(route, '', undefined), '/openai/deployments/chat/chat/completions?api-version=2024-10-21');
});

test('upstreamPath: a backend path prefix, with or without trailing slash', () => {
  const route = parseRoute('/openai/v1/chat/completions?trace=1')!;
  assert.equal(upstreamPath(route, '/gateway/aoai', undefined), '/gateway/aoai/openai/v1/chat/completions?trace=1');
  assert.equal(upstreamPath(route, '/gateway/aoai/', undefined), '/gateway/aoai/openai/v1/chat/completions?trace=1');
  assert.equal(upstreamPath(route, new URL('https://apim.example.net/gw/').pathname, undefined), '/gw/openai/v1/chat/completions?trace=1');
});

test('upstreamPath: the deployment segment is renamed on dated routes, and only that segment', () => {
  const route = parseRoute('/openai/deployments/chat/chat/completions?api-version=2024-10-21')!;
  assert.equal(upstreamPath(route, '/', 'gpt-4o-prod'), '/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21');
  assert.equal(upstreamPath(route, '/pfx/', 'gpt4'), '/pfx/openai/deployments/gpt4/chat/completions?api-version=2024-10-21');
  assert.equal(upstreamPath(parseRoute('/openai/deployments/chat')!, '/', 'other'), '/openai/deployments/other');
  assert.equal(upstreamPath(parseRoute('/openai/deployments/my%20chat/embeddings')!, '/', 'emb'), '/openai/deployments/emb/embeddings');
});

test('upstreamPath: a renamed deployment is URL-encoded', () => {
  const route = parseRoute('/openai/deployments/chat/chat/completions')!;
  assert.equal(upstreamPath(route, '/', 'my chat/v2'), '/openai/deployments/my%20chat%2Fv2/chat/completions');
});

test('upstreamPath: v1 and other routes are never renamed (the deployment is in the body)', () => {
  assert.equal(upstreamPath(parseRoute('/openai/v1/chat/completions')!, '/', 'gpt4'), '/openai/v1/chat/completions');
  assert.equal(upstreamPath(parseRoute('/openai/models?api-version=1')!, '/', 'gpt4'), '/openai/models?api-version=1');
});

test('upstreamPath: the query is passed on exactly as sent', () => {
  const query = '?api-version=2024-10-21&x=a%20b&y=%2F&flag';
  assert.equal(upstreamPath(parseRoute(`/openai/deployments/chat/completions${query}`)!, '/p', 'c'), `/p/openai/deployments/c/completions${query}`);
  assert.equal(upstreamPath(parseRoute(`/openai/v1/files${query}`)!, '/', undefined), `/openai/v1/files${query}`);
});

test('dot segments are resolved, also percent-encoded, and may not climb above the root', () => {
  assert.equal(parseRoute('/openai/./deployments/chat/../chat/completions')!.path, '/openai/deployments/chat/completions');
  assert.equal(parseRoute('/openai/deployments/x/%2e%2E/chat/chat/completions')!.pathDeployment, 'chat');
  assert.equal(parseRoute('/openai/v1/models/.')!.path, '/openai/v1/models/');
  assert.equal(parseRoute('/a/b/..')!.path, '/a/');
  assert.equal(parseRoute('/../admin/x'), undefined);
  assert.equal(parseRoute('/openai/../../admin'), undefined);
  assert.equal(parseRoute('/%2E%2E/admin'), undefined);
  assert.equal(upstreamPath(parseRoute('/openai/deployments/chat/../../v1/models')!, '/aoai/', undefined), '/aoai/openai/v1/models');
  assert.equal(parseRoute('/openai/deployments/a..b/x')!.pathDeployment, 'a..b', 'only whole segments are dot segments');
});

test('the api-key query parameter is dropped, every other parameter kept byte for byte', () => {
  assert.equal(forwardedQuery('?api-version=1&api-key=s&x=%20'), '?api-version=1&x=%20');
  assert.equal(forwardedQuery('?API-KEY=s'), '');
  assert.equal(forwardedQuery('?api%2dkey=s&a'), '?a');
  assert.equal(forwardedQuery('?api-keys=s'), '?api-keys=s');
  assert.equal(forwardedQuery(''), '');
});
