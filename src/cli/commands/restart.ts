import {Args} from '@oclif/core';
import {BaseCommand, containerNamespaceFlags} from '../base-command.js';

export default class Restart extends BaseCommand {
  static summary = 'Restart a process';
  static description =
    'Without -k, the process of a system service (an id `osctl containers` shows): the service\'s restart policy ' +
    'brings it back. With -k, a Kubernetes container (an id `osctl containers -k` shows): the kubelet restarts it and ' +
    'its restart count rises. Prints nothing on success; each node that fails is reported. ' +
    'Examples: `osctl restart ext-hello-world`, `osctl restart -k default/web-node-1:web:4183a7d7a771`.';
  // No runnable examples: a default local cluster has nothing to restart. The description shows the forms.
  static args = {
    id: Args.string({description: 'container or process id', required: true}),
  };
  static flags = {
    ...containerNamespaceFlags,
  };
}
