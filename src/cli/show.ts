/** Prints stored connections as JSON lines: `pluggy-lifecycle show --store TARGET [ITEM_ID] [--quarantine]`. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeStored } from '../durable/view';
import { isPostgresUrl, openStore } from '../stores/open';

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const PAGE = 500;

function parsedOrText(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function showCommand(args: string[], io: Io, usage: (message: string) => Error): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { store: { type: 'string' }, quarantine: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.store === undefined) throw usage('show needs --store (a SQLite file path or a postgres:// URL)');
  if (positionals.length > 1) throw usage('show takes at most one ITEM_ID');
  const target = values.store;
  // Opening a SQLite path creates the file: for a read, a mistyped path must be an error instead.
  if (!isPostgresUrl(target) && !existsSync(target)) {
    io.err(`no SQLite database at ${target}`);
    return 1;
  }
  const store = await openStore(target);
  try {
    if (values.quarantine) {
      for (let afterId: number | undefined; ; ) {
        const page = await store.listQuarantine({ limit: PAGE, ...(afterId !== undefined ? { afterId } : {}) });
        for (const row of page) {
          const { payload, createdAt, ...rest } = row;
          io.out(JSON.stringify({ ...rest, at: new Date(createdAt).toISOString(), payload: parsedOrText(payload) }));
        }
        if (page.length < PAGE) return 0;
        afterId = page[page.length - 1]!.id;
      }
    }
    const itemId = positionals[0];
    if (itemId !== undefined) {
      const row = await store.get(itemId);
      if (!row) {
        io.err(`no connection for item ${JSON.stringify(itemId)} in ${target}`);
        return 1;
      }
      io.out(JSON.stringify(describeStored(row)));
      return 0;
    }
    for (let after: string | undefined; ; ) {
      const page = await store.list({ limit: PAGE, ...(after !== undefined ? { after } : {}) });
      for (const row of page) io.out(JSON.stringify(describeStored(row)));
      if (page.length < PAGE) return 0;
      after = page[page.length - 1]!.itemId;
    }
  } finally {
    await store.close();
  }
}
