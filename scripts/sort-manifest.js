// oclif writes oclif.manifest.json's commands in file-system order, which differs between
// machines; sorting them by id makes the committed manifest reproducible.
import {readFileSync, writeFileSync} from 'node:fs';

const file = new URL('../oclif.manifest.json', import.meta.url);
const manifest = JSON.parse(readFileSync(file, 'utf8'));
manifest.commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
