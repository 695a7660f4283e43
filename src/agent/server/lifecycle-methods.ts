// Reboot, Reset and Shutdown (talos-api.md §3.8, talos-behaviour.md (b) items 17–20).
import type {LocalMethod} from './methods.js';

export function lifecycleMethods(): Array<[string, LocalMethod]> {
  return [];
}
