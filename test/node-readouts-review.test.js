// Review of the node readouts (issue 7 part B) without a cluster: hostile process names in the
// COMMAND column.
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {processCommandLine} from '../dist/cli/output/readouts-view.js';

describe('COMMAND column with hostile names', () => {
  it('an executable path with `$&`, `$\'` or `$$` replaces the program name as it is (strings.Replace has no patterns)', () => {
    for (const executable of ['/opt/a$&b/sleep', "/opt/x$'y/sleep", '/opt/$$/sleep', '/opt/$`/sleep']) {
      assert.equal(processCommandLine({command: 'sleep', executable, args: 'sleep 10'}), `${executable} 10`);
    }
  });
});
