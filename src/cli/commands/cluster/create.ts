import {Flags} from '@oclif/core';
import {BaseCommand} from '../../base-command.js';
import {DEFAULT_CIDR, DEFAULT_CLUSTER_NAME} from '../../cluster/layout.js';

/** A repeatable machine config patch flag; non-greedy, so `--config-patch @a.yaml --workers 2` keeps its meaning. */
function patchFlag(whose: string) {
  return Flags.string({
    description: `patch the machine configs of ${whose}: @file or inline YAML/JSON; an RFC 6902 JSON patch or a strategic merge patch (repeatable)`,
    multiple: true,
    multipleNonGreedy: true,
  });
}

export default class ClusterCreate extends BaseCommand {
  static summary = 'Create a local cluster: one osd agent per node on loopback addresses';
  static description =
    'Nodes get consecutive addresses of --cidr from .2 on, control planes first. etcd is bootstrapped on the first ' +
    'control plane and create waits until it is healthy on all of them (--skip-bootstrap leaves that to `osctl bootstrap`). Their state lives in ' +
    '$TALOS_HOME/clusters/<name> (default ~/.talos/clusters/<name>), and a context named after the cluster ' +
    'is merged into the talosconfig and made current. Patches (--config-patch for every node, then ' +
    '--config-patch-control-plane or --config-patch-worker by role) change the generated machine configs before any node ' +
    'starts: a strategic merge patch is a partial machine config (maps merge, lists append, `$patch: delete` removes), ' +
    'a JSON patch is a list of RFC 6902 operations; each is @file or the patch itself.';
  static examples = [
    '<%= config.bin %> cluster create',
    '<%= config.bin %> cluster create --name lab --cidr 127.20.0.128/25 --controlplanes 1 --workers 2',
    `<%= config.bin %> cluster create --name pods --cidr 127.20.0.64/28 --controlplanes 1 --workers 0 --config-patch '{"machine": {"pods": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sleeper"}, "spec": {"containers": [{"name": "sleeper", "image": "busybox", "command": ["sleep", "3600"]}]}}]}}'`,
  ];
  // Counts are strings: the start-up fast path hands flag values over unconverted, so the
  // action parses them (with the same messages on either path).
  static flags = {
    name: Flags.string({description: 'cluster name: lowercase letters, digits and "-"', default: DEFAULT_CLUSTER_NAME}),
    cidr: Flags.string({description: 'loopback range for the node addresses (inside 127.0.0.0/8)', default: DEFAULT_CIDR}),
    controlplanes: Flags.string({description: 'number of control plane nodes (at least 1)', default: '3'}),
    workers: Flags.string({description: 'number of worker nodes', default: '1'}),
    'wait-timeout': Flags.string({
      description: 'how long to wait for every node to answer, and then for etcd to be healthy on every control plane, e.g. 30s, 2m',
      default: '30s',
    }),
    'skip-bootstrap': Flags.boolean({
      description: 'do not bootstrap etcd: the control planes wait in Preparing until `osctl bootstrap` is run against one of them',
      default: false,
    }),
    'config-patch': patchFlag('every node'),
    'config-patch-control-plane': patchFlag('the control plane nodes (after --config-patch)'),
    'config-patch-worker': patchFlag('the worker nodes (after --config-patch)'),
  };
}
