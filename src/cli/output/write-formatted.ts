// For commands whose default output is their own text layout: `-o table` prints that layout,
// any other format prints the command's result as structured data. Loads printers only when needed.
import type {Sink} from './types.js';

export async function writeFormatted(output: string, sink: Sink, items: object[], printText: () => void): Promise<void> {
  if (output === 'table') {
    printText();
    return;
  }
  const [{parseOutputFormat}, {writeStructured}] = await Promise.all([import('./format.js'), import('./structured.js')]);
  writeStructured(parseOutputFormat(output), sink, items);
}
