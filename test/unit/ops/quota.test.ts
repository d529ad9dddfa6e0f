import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelChoice } from '../../../src/ops/plan.js';
import { quotaTable, type QuotaAsk, type RegionQuota } from '../../../src/ops/quota.js';

// regionQuota, pickRegions and preflight ask ARM (models.list, usages.list): they are covered by
// test/up/*.test.ts against the twin. quotaTable is the pure part: the table both `up` and `capacity` print.

const chat: ModelChoice = { name: 'gpt-5.4-mini', version: '2026-03-17' };
const embedding: ModelChoice = { name: 'text-embedding-3-large', version: '1' };
const ask: QuotaAsk = { sku: 'Standard', models: [chat, embedding], capacity: 30 };

/** A region row: per model, a free count in thousands of TPM, or 'not offered'. */
function region(name: string, ...cells: Array<number | 'not offered'>): RegionQuota {
  return {
    region: name,
    models: ask.models.map((model, i) => {
      const cell = cells[i]!;
      return { model, offered: cell !== 'not offered', usageName: `OpenAI.Standard.${model.name}`, free: cell === 'not offered' ? 500 : cell };
    }),
  };
}

describe('the region × free TPM table of the quota preflight', () => {
  it('has a header naming each model, then one row per region with its free K TPM, in columns two spaces apart', () => {
    const table = quotaTable(ask, [region('eastus', 20, 300), region('swedencentral', 1500, 300)]);
    assert.equal(
      table,
      [
        '  region         gpt-5.4-mini free  text-embedding-3-large free',
        '  eastus         20K                300K',
        '  swedencentral  1500K              300K',
      ].join('\n'),
    );
  });

  it('says "not offered" where the region does not offer the model with the SKU, whatever free quota it has', () => {
    const lines = quotaTable(ask, [region('westus3', 'not offered', 300)]).split('\n');
    assert.equal(lines[1], '  westus3  not offered        300K');
    assert.ok(!lines[1]!.includes('500K'), 'the free count of a model not offered is not shown');
  });

  it('shows no free quota as 0K, not as not offered', () => {
    assert.equal(quotaTable(ask, [region('eastus', 0, 0)]).split('\n')[1], '  eastus  0K                 0K');
  });

  it('widens a column to its widest cell: a long region name, or "not offered" under a short model name', () => {
    const short: QuotaAsk = { sku: 'GlobalStandard', models: [{ name: 'm1', version: '1' }], capacity: 1 };
    const rows: RegionQuota[] = [
      { region: 'a', models: [{ model: short.models[0]!, offered: false, usageName: 'OpenAI.GlobalStandard.m1', free: 0 }] },
      { region: 'australiaeast', models: [{ model: short.models[0]!, offered: true, usageName: 'OpenAI.GlobalStandard.m1', free: 7 }] },
    ];
    assert.equal(quotaTable(short, rows), ['  region         m1 free', '  a              not offered', '  australiaeast  7K'].join('\n'));
  });

  it('keeps the rows in the order given (the caller puts the chosen regions first)', () => {
    const lines = quotaTable(ask, [region('westus3', 1, 1), region('eastus', 900, 900), region('brazilsouth', 50, 50)]).split('\n');
    assert.deepEqual(
      lines.slice(1).map((line) => line.trim().split(/ +/)[0]),
      ['westus3', 'eastus', 'brazilsouth'],
    );
  });

  it('leaves no trailing spaces on any line, and starts every line with two spaces', () => {
    const table = quotaTable(ask, [region('eastus', 5, 'not offered'), region('westus', 'not offered', 5)]);
    for (const line of table.split('\n')) {
      assert.equal(line, line.trimEnd(), JSON.stringify(line));
      assert.match(line, /^ {2}\S/);
    }
  });

  it('with no regions, is the header alone', () => {
    assert.equal(quotaTable(ask, []), '  region  gpt-5.4-mini free  text-embedding-3-large free');
  });

  it('has one column per model asked, in the order asked', () => {
    const reversed: QuotaAsk = { ...ask, models: [embedding, chat] };
    const header = quotaTable(reversed, []).split('\n')[0]!;
    assert.ok(header.indexOf('text-embedding-3-large free') < header.indexOf('gpt-5.4-mini free'), header);
    const one: QuotaAsk = { ...ask, models: [chat] };
    assert.equal(quotaTable(one, []), '  region  gpt-5.4-mini free');
  });
});
