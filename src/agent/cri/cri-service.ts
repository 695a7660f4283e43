// The `cri` service: stands for osd's container runtime, as Talos's `cri` service stands for
// containerd's CRI plugin. Extension services commonly depend on it (`depends: - service: cri`),
// and the kubelet does. The runtime itself lives as long as osd (node.ts stops it last); this
// service only reports it: Running while the runtime accepts work, and, like Talos's, it may not be
// started, stopped or restarted through the API. (osd has no `containerd` service: a dependency on
// it waits, as Talos waits for a service that is not registered.)
import {aborted, InProcessRunner} from '../system/in-process-runner.js';
import type {ServiceDefinition} from '../system/service.js';
import type {ContainerRuntime} from './runtime.js';

export const CRI_SERVICE_ID = 'cri';

export function criService(runtime: ContainerRuntime): ServiceDefinition {
  return {
    id: CRI_SERVICE_ID,
    dependsOn: [],
    restart: 'forever',
    api: {start: false, stop: false, restart: false},
    createRunner: () =>
      new InProcessRunner(CRI_SERVICE_ID, async (signal) => {
        const closed = runtime.closed.then(() => {
          throw new Error(`the container runtime (${runtime.name}) has shut down`);
        });
        await Promise.race([closed, aborted(signal)]);
      }),
  };
}
