// The log stream's building blocks: the bounded ring buffer with followers, the line splitter and the
// .NET-style JSON escaping that `az containerapp logs show` undoes (reference §2 "Log streaming").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogBuffer, consoleLine, lineReader, netJsonLine, netJsonString } from '../apps/logs.js';

describe('twin: log buffers and log-stream line formats', () => {
  it('keeps the last lines within its capacity and tails them', () => {
    const b = new LogBuffer(3);
    for (const text of ['a', 'b', 'c', 'd']) b.push({ time: 't', stream: 'stdout', text });
    assert.deepEqual(
      b.tail().map((l) => l.text),
      ['b', 'c', 'd'],
    );
    assert.deepEqual(
      b.tail(2).map((l) => l.text),
      ['c', 'd'],
    );
    assert.deepEqual(b.tail(0), []);
  });

  it('feeds followers until it ends; a follower that joins after the end is ended at once', () => {
    const b = new LogBuffer();
    const seen: string[] = [];
    let ended = 0;
    b.follow(
      (l) => seen.push(l.text),
      () => ended++,
    );
    b.push({ time: 't', stream: 'stdout', text: 'x' });
    b.end();
    b.follow(
      () => seen.push('late'),
      () => ended++,
    );
    assert.deepEqual(seen, ['x']);
    assert.equal(ended, 2);
  });

  it('splits chunks into lines (\\n and \\r\\n) and flushes a last partial line', () => {
    const b = new LogBuffer();
    const r = lineReader(b, 'stderr');
    r.write(Buffer.from('one\r\ntw'));
    r.write(Buffer.from('o\nthree'));
    r.flush();
    assert.deepEqual(
      b.tail().map((l) => [l.stream, l.text]),
      [
        ['stderr', 'one'],
        ['stderr', 'two'],
        ['stderr', 'three'],
      ],
    );
  });

  it(`escapes JSON strings as .NET's default encoder does (the CLI un-escapes \\u0022 \\u001B \\u002B \\u0027)`, () => {
    const s = `say "hi" it's 1+1 <b>&\u001b[0m é`;
    const encoded = netJsonString(s);
    assert.equal(encoded, '"say \\u0022hi\\u0022 it\\u0027s 1\\u002B1 \\u003Cb\\u003E\\u0026\\u001B[0m \\u00E9"');
    assert.equal(JSON.parse(encoded), s);
    assert.equal(JSON.parse(netJsonString('tab\tnl\n\\ 😀')), 'tab\tnl\n\\ 😀');
    assert.equal(netJsonLine({ A: 'x', Count: 1 }), '{"A":"x","Count":1}');
    const line = { time: '2025-01-01T00:00:00.000Z', stream: 'stdout' as const, text: 'hello "x"' };
    assert.equal(consoleLine(line, 'text'), '2025-01-01T00:00:00.000Z hello "x"');
    assert.deepEqual(JSON.parse(consoleLine(line, 'json')), { TimeStamp: line.time, Log: 'hello "x"' });
  });
});
