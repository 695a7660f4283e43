// Bootstrap and EtcdRecover (talos-api.md §7.1, talos-behaviour.md (b) items 13–16).
import type {LocalMethod} from './methods.js';

export function bootstrapMethods(): Array<[string, LocalMethod]> {
  return [];
}
