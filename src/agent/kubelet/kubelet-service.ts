// The `kubelet` service: the kubelet as one supervised in-process service. Its pods live in the
// runtime, not in the service: stopping or restarting the service leaves them running and the
// next run adopts them (talos-behaviour.md item 9: the API may start and restart it, not stop it).
import {CRI_SERVICE_ID} from '../cri/cri-service.js';
import {InProcessRunner} from '../system/in-process-runner.js';
import type {ServiceDefinition} from '../system/service.js';
import {Kubelet, type KubeletOptions} from './kubelet.js';
import {MANIFEST_DIR} from './manifests.js';

export const KUBELET_SERVICE_ID = 'kubelet';
/** Talos checks kubelet's health 2 s after it starts, then every 5 s. */
const HEALTH = {initialDelayMs: 2000, periodMs: 5000, timeoutMs: 500};
/** The kubelet resyncs every second; this much silence means its loop is stuck. */
const STALE_SYNC_MS = 5000;

export function kubeletService(options: KubeletOptions): ServiceDefinition {
  let current: Kubelet | undefined;
  return {
    id: KUBELET_SERVICE_ID,
    // As Talos's kubelet: its pods run in the container runtime.
    dependsOn: [CRI_SERVICE_ID],
    restart: 'forever',
    api: {start: true, stop: false, restart: true},
    health: {
      settings: HEALTH,
      check: async () => {
        if (current === undefined) throw new Error('kubelet is not running');
        const silentMs = Date.now() - current.lastSyncAt;
        if (silentMs > STALE_SYNC_MS) throw new Error(`kubelet has not read /${MANIFEST_DIR} for ${Math.round(silentMs / 1000)}s`);
      },
    },
    createRunner: () =>
      new InProcessRunner(KUBELET_SERVICE_ID, async (signal) => {
        const kubelet = new Kubelet(options);
        current = kubelet;
        try {
          await kubelet.start();
          if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, {once: true}));
        } finally {
          await kubelet.stop();
          if (current === kubelet) current = undefined;
        }
      }),
  };
}
