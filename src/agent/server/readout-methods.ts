// Placeholder until its issue-7 part lands; registers no method (osd answers Unimplemented).
import type {NodeInside} from '../inside/node-inside.js';
import type {LocalMethod} from './methods.js';

export function readoutMethods(_inside: NodeInside): Array<[string, LocalMethod]> {
  return [];
}
