// The methods that look inside the node (issue 7), each family in its own module.
import type {NodeInside} from '../inside/node-inside.js';
import {fileMethods} from './file-methods.js';
import {metaMethods} from './meta-methods.js';
import type {LocalMethod} from './methods.js';
import {netstatMethods} from './netstat-methods.js';
import {readoutMethods} from './readout-methods.js';
import {statsMethods} from './stats-methods.js';
import {timeMethods} from './time-methods.js';

export function insideMethods(inside: NodeInside): Array<[string, LocalMethod]> {
  return [
    ...fileMethods(inside),
    ...readoutMethods(inside),
    ...netstatMethods(inside),
    ...statsMethods(inside),
    ...timeMethods(inside),
    ...metaMethods(inside),
  ];
}
