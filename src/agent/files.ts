// osd's one way to replace a file: readers (other agents scanning discovery, a restarted osd)
// never see half of it.
import {mkdir, rename, writeFile} from 'node:fs/promises';
import {dirname} from 'node:path';

export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), {recursive: true});
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, {mode});
  await rename(temporary, path);
}
