// Affiliate files in a discovery directory: how other nodes announce themselves to osd. Writing
// them is a real way to make osd's store change (Members created, updated, destroyed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

/** Writes `count` affiliates of about `bytes` each (padding in the address list); `round` changes every one of them. */
export function writeAffiliates(dir, {count, bytes, round}) {
  const addresses = [];
  for (let i = 0; addresses.join('').length < bytes; i++) addresses.push(`10.${round % 256}.${(i >> 8) & 255}.${i & 255}`);
  for (let n = 0; n < count; n++) {
    const nodeId = `Peer${String(n).padStart(6, '0')}`;
    const affiliate = {nodeId, nodename: `peer-${n}`, hostname: `peer-${n}.example`, addresses, machineType: 'worker', operatingSystem: `osd (round ${round})`};
    const file = path.join(dir, `${nodeId}.yaml`);
    fs.writeFileSync(`${file}.tmp`, yaml.dump(affiliate, {lineWidth: -1}));
    fs.renameSync(`${file}.tmp`, file);
  }
}
