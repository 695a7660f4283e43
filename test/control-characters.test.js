// Messages that repeat what a user typed or a node answered never send raw control characters to
// the terminal: a log id holding `ESC [2J` must not clear the operator's screen.
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {escapeControls, quoteInput} from '../dist/cli/quote.js';
import {RunContext} from '../dist/cli/runtime.js';

describe('escapeControls', () => {
  it('writes control characters as Go\'s %q does, and leaves the rest alone', () => {
    assert.equal(escapeControls('a\u001b[2Jb\rc\nd\te\u0007\u007f\u009b'), 'a\\x1b[2Jb\\rc\\nd\te\\x07\\x7f\\u009b');
    assert.equal(escapeControls('héllo "x" \\n ✓'), 'héllo "x" \\n ✓');
    assert.equal(escapeControls('one\ntwo\u001b', {keepNewlines: true}), 'one\ntwo\\x1b');
  });

  it('quoteInput escapes what it echoes, before and after cutting it short', () => {
    assert.equal(quoteInput('\u001b[2J'), '"\\x1b[2J"');
    assert.equal(quoteInput(`\u001b${'a'.repeat(100)}`), `"\\x1b${'a'.repeat(63)}…" (101 characters)`);
  });

  it('a node\'s error text reaches stderr without its escape sequences (a node may be a real Talos)', () => {
    const ctx = new RunContext('logs');
    let written = '';
    Object.defineProperty(ctx, 'err', {value: {write: (text) => (written += text)}});
    ctx.reportNodeError('10.5.0.2', new Error('rpc error: code = Unknown desc = log "x\u001b]0;pwned\u0007" was not registered'));
    assert.equal(written, 'error from node 10.5.0.2: rpc error: code = Unknown desc = log "x\\x1b]0;pwned\\x07" was not registered\n');
  });
});
