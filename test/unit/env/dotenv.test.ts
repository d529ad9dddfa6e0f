import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DotenvSyntaxError, marshalDotenv, parseDotenv } from '../../../src/env/dotenv.js';

test('marshal: lines sorted byte-wise (not by key), KEY="value", one final newline', () => {
  // "A=" sorts before "A_B=" because '=' < '_': godotenv sorts whole lines.
  assert.equal(marshalDotenv({ A_B: 'x', B: 'y', A: 'z' }), 'A="z"\nA_B="x"\nB="y"\n');
  assert.equal(marshalDotenv({}), '');
});

test('marshal: integers unquoted; azd re-quotes those that would change', () => {
  assert.equal(
    marshalDotenv({ CAP: '50', NEG: '-3', ZIP: '01', PLUS: '+5', ZERO: '-0', HUGE: '99999999999999999999' }),
    ['CAP=50', 'HUGE="99999999999999999999"', 'NEG=-3', 'PLUS="+5"', 'ZERO="-0"', 'ZIP="01"'].join('\n') + '\n',
  );
});

test('marshal without the fix-up prints what azd env get-values prints: the integer Go parsed', () => {
  assert.equal(marshalDotenv({ ZIP: '01', PLUS: '+5', TEXT: '1a' }, { azdFixup: false }), 'PLUS=5\nTEXT="1a"\nZIP=1\n');
});

test('marshal escapes \\ newline CR " ! $ ` inside the double quotes', () => {
  assert.equal(marshalDotenv({ V: 'a\\b\nc\rd"e!f$g`h' }), 'V="a\\\\b\\nc\\rd\\"e\\!f\\$g\\`h"\n');
});

test('parse: what marshal writes comes back unchanged', () => {
  const values = { A: 'plain', B: 'a\\b\nc\rd"e!f$g`h', C: '42', D: '01', E: '', F: 'https://x.openai.azure.com/', G: '${NOT_EXPANDED}' };
  assert.deepEqual(parseDotenv(marshalDotenv(values)), values);
});

test('parse: comments, export, single quotes, unquoted values with inline comments, CRLF, BOM', () => {
  const text = '\uFEFF# a comment\r\nexport A=1\r\nB = two words # comment\nC=\'lit $A \\n\'\nD="x#y"\n\n';
  assert.deepEqual(parseDotenv(text), { A: '1', B: 'two words', C: 'lit $A \\n', D: 'x#y' });
});

test('parse: ${VAR} and $VAR expand from earlier keys; unknown ones are empty; lower-case $ stays', () => {
  assert.deepEqual(parseDotenv('A=x\nB="${A}-$A-${MISSING}-$lower"\nC=$A/z'), { A: 'x', B: 'x-x--$lower', C: 'x/z' });
});

test('parse: a double-quoted value may span lines', () => {
  assert.deepEqual(parseDotenv('A="one\ntwo"\nB=3'), { A: 'one\ntwo', B: '3' });
});

test('parse: errors name the line', () => {
  assert.throws(
    () => parseDotenv('A=1\nnot a pair\n'),
    (error: unknown) => error instanceof DotenvSyntaxError && error.line === 2,
  );
  assert.throws(() => parseDotenv('A="never closed\nB=1'), /quote of A is never closed/);
  assert.throws(() => parseDotenv('1A=x'), /not a valid variable name/);
});
