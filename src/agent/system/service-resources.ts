// v1alpha1.ServiceController: a Services resource per service while it is Running, written from the
// supervisor's own events (talos-resources.md: created or updated on a Running event, destroyed on
// any other state), so a resource present always means a live service.
import {SERVICE_TYPE, type ServiceSpec} from '../controllers/resource-types.js';
import type {ResourceStore} from '../store/store.js';
import type {Supervisor} from './supervisor.js';

const OWNER = 'v1alpha1.ServiceController';

/** Publishes until the returned function is called. */
export function publishServices(store: ResourceStore, supervisor: Supervisor): () => void {
  return supervisor.onChange((change) => {
    if (change.state === 'Running') {
      store.put<ServiceSpec>({
        type: SERVICE_TYPE,
        id: change.id,
        owner: OWNER,
        spec: {running: true, healthy: change.health.healthy, unknown: change.health.unknown},
      });
    } else {
      store.destroy({namespace: 'runtime', type: SERVICE_TYPE, id: change.id}, OWNER);
    }
  });
}
