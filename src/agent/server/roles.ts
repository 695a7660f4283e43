// Who may call what (talos-api.md §6.3, §6.4). The table is data: a method that is not listed
// needs os:admin. A caller is allowed when it holds any of the listed roles.

import {Role} from '../../machinery/roles.js';

const {admin, operator, reader, etcdBackup, metaWriter} = Role;

const machine = (method: string): string => `/machine.MachineService/${method}`;
const cosi = (method: string): string => `/cosi.resource.State/${method}`;
const time = (method: string): string => `/time.TimeService/${method}`;

const ROWS: Array<[methods: string[], roles: string[]]> = [
  [
    [
      ...['Version', 'Hostname', 'ServiceList', 'Logs', 'LogsContainers', 'Containers', 'List', 'Dmesg', 'Events'],
      ...['DiskUsage', 'Processes', 'Memory', 'Mounts', 'Netstat', 'SystemStat', 'CPUInfo', 'LoadAvg', 'DiskStats'],
      ...['NetworkDeviceStats', 'Stats'],
    ].map(machine),
    [admin, operator, reader],
  ],
  [['Time', 'TimeCheck'].map(time), [admin, operator, reader]],
  [['ServiceStart', 'ServiceStop', 'ServiceRestart', 'Restart', 'Reboot', 'Shutdown'].map(machine), [admin, operator]],
  [['EtcdSnapshot'].map(machine), [admin, operator, etcdBackup]],
  [['EtcdMemberList', 'EtcdStatus', 'EtcdAlarmList'].map(machine), [admin, operator, reader, etcdBackup]],
  [['EtcdAlarmDisarm', 'EtcdDefragment'].map(machine), [admin, operator]],
  [
    ['EtcdRecover', 'Bootstrap', 'EtcdLeaveCluster', 'EtcdRemoveMemberByID', 'EtcdForfeitLeadership', 'Read', 'Copy', 'Kubeconfig', 'Reset'].map(machine),
    [admin],
  ],
  [['MetaWrite', 'MetaDelete'].map(machine), [admin, metaWriter]],
  // The reader row of ApplyConfiguration applies in maintenance mode only, which osd does not have.
  [['ApplyConfiguration'].map(machine), [admin]],
  // Sensitive types additionally need os:admin; the State handlers check that per type.
  [['Get', 'List', 'Watch'].map(cosi), [admin, operator, reader]],
  // Writes pass this rule and are then refused by the read-only access policy.
  [['Create', 'Update', 'Destroy', 'Teardown', 'TeardownAndDestroy'].map(cosi), [admin]],
];

export const METHOD_ROLES: ReadonlyMap<string, readonly string[]> = new Map(
  ROWS.flatMap(([methods, roles]) => methods.map((method): [string, readonly string[]] => [method, roles])),
);

/** `method` is the full gRPC path, e.g. `/machine.MachineService/Version`. */
export function isAuthorized(method: string, roles: readonly string[]): boolean {
  const allowed = METHOD_ROLES.get(method) ?? [admin];
  return roles.some((role) => allowed.includes(role));
}
