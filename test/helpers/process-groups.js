// After a test SIGKILLs osd, its services and pods run on in their own process groups (osd's exit
// hook cannot run). This ends the groups recorded in the node's state dir (run/services,
// run/containers), by PID, with the code the next osd would use, so a reused PID is left alone.
import * as fs from 'node:fs';
import {ProcessGroupRecords} from '../../dist/agent/process-groups.js';
import {statePaths} from '../../dist/agent/state-dir.js';

/** Kills the process groups osd recorded under `stateDir`; resolves with what it killed ({pgid, name}). */
export async function endRecordedProcessGroups(stateDir) {
  const {serviceGroups, containerGroups} = statePaths(stateDir);
  const ended = [];
  for (const directory of [serviceGroups, containerGroups]) {
    // A state dir already removed (cluster destroy) has nothing to end and must not be recreated.
    if (fs.existsSync(directory)) ended.push(...(await new ProcessGroupRecords(directory).killLeftovers()));
  }
  return ended;
}
