// After a test SIGKILLs osd, its services and pods run on in their own process groups (osd's exit
// hook cannot run). This ends the groups recorded in the node's state dir (run/services,
// run/containers), by PID, with the code the next osd would use, so a reused PID is left alone.
import {endRecordedGroups} from '../../dist/machinery/process-groups.js';

/** Kills the process groups osd recorded under `stateDir`; resolves with what it killed ({pgid, name}). */
export const endRecordedProcessGroups = (stateDir) => endRecordedGroups(stateDir);
