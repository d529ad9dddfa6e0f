import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestWindow } from '../src/request-window.js';

// Window 10 s: a slot is counted back 10.1 s (1 % margin) after the request that took it was sent.
const none = { requests: 0 };
const inFlight = (requests: number, sentAt?: number[]): { requests: number; sentAt?: number[] } => ({ requests, ...(sentAt ? { sentAt } : {}) });

test('a reading counts from when its request was sent: what was sent since, even before the answer came, counts against it', () => {
  const window = new RequestWindow(10_000);
  window.send(1000);
  window.send(1200);
  window.admit(1000);
  window.read(2, 1000);
  assert.equal(window.freeAt(1600, none), 0, 'one sent since, two were left: room');
  window.send(1700);
  assert.equal(window.freeAt(1700, none), 11_100, 'two sent since, two were left: full until the request sent at 1000 gives its slot back');
  assert.equal(window.freeAt(1700, inFlight(1)), 11_100, 'nothing else known admitted: a whole window after the reading');
});

test('a request refused (429) or failed takes no slot', () => {
  const window = new RequestWindow(10_000);
  window.admit(500);
  window.read(1, 500);
  window.send(1000);
  assert.equal(window.freeAt(1000, none), 10_600);
  window.forget(1000);
  assert.equal(window.freeAt(1000, none), 0);
});

test('requests in flight elsewhere count; slots come back oldest first', () => {
  const window = new RequestWindow(10_000);
  for (const at of [100, 200, 300]) window.admit(at);
  window.read(1, 300);
  assert.equal(window.freeAt(400, none), 0);
  assert.equal(window.freeAt(400, inFlight(1)), 10_200, 'the one left is taken elsewhere: the oldest slot');
  assert.equal(window.freeAt(400, inFlight(2)), 10_300, 'two elsewhere: the second oldest');
  assert.equal(window.freeAt(10_300, inFlight(2)), 10_300, 'free when the time comes');
  assert.equal(window.freeAt(300 + 10_100, inFlight(5)), 0, 'a reading a window old says nothing');
});

test("an older reading changes nothing; another replica's reading counts its own request as admitted", () => {
  const window = new RequestWindow(10_000);
  window.read(5, 2000);
  window.read(0, 1000);
  assert.equal(window.remaining, 5);
  window.readElsewhere(0, 3000);
  assert.equal(window.freeAt(3100, none), 13_100);
  window.readElsewhere(9, 2500);
  assert.equal(window.remaining, 0, 'an older reading from elsewhere changes nothing');
});

test("only what the reading's window admitted gives a slot back: not a request sent exactly one window before it", () => {
  const window = new RequestWindow(10_000);
  for (const at of [0, 5000, 6000, 10_000]) window.admit(at);
  window.read(0, 10_000);
  assert.equal(window.freeAt(10_000, none), 15_100, 'the request sent at 0 left the window as the reading was taken: 5000 is the oldest slot in it');
  assert.equal(window.freeAt(10_000, inFlight(1)), 16_100, 'one more elsewhere: the next oldest');
  assert.equal(window.freeAt(10_000, inFlight(3)), 20_100, 'more missing than the window admitted: a whole window after the reading');
});
