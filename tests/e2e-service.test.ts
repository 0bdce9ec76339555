/**
 * The README's "Wiring Pluggy" service (examples/service.ts), run against the local sandbox: the
 * sandbox posts webhooks to the service's receiver, the service fetches with pluggy-sdk. jest's
 * fake timers are the one clock (see tests/e2e.test.ts). Also checks that the README shows this
 * very file.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PluggyClient } from 'pluggy-sdk';
import { startService } from '../examples/service';
import type { Effect } from '../src';
import { startSandbox, type Sandbox } from '../src/sandbox';
import { portOf, settleLoopback } from './support/loopback';

const WEBHOOK_SECRET = 'service-webhook-secret';


test('the README shows examples/service.ts as it is, with the package names in its imports', () => {
  const root = join(__dirname, '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Wiring Pluggy'));
  const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const file = readFileSync(join(root, 'examples/service.ts'), 'utf8')
    .replace("from '../src/drivers'", "from 'pluggy-lifecycle/drivers'")
    .replace("from '../src'", "from 'pluggy-lifecycle'");
  expect(shown).toBe(file);
});

describe('the example service against the sandbox', () => {
  let sandbox: Sandbox;
  let service: ReturnType<typeof startService>;
  let user: PluggyClient;
  let webhookUrl: string;
  const told: Array<Effect & { readonly user?: string }> = [];
  let consoleError: jest.SpyInstance;

  const settle = () => settleLoopback(() => sandbox.settled(), () => [portOf(sandbox.url), portOf(webhookUrl)]);
  const until = async (done: () => boolean, what: string) => {
    const start = Date.now();
    await settle();
    while (!done()) {
      if (Date.now() - start > 15 * 60_000 || jest.getTimerCount() === 0) throw new Error(`expected ${what}; it did not happen`);
      jest.advanceTimersToNextTimer();
      await settle();
    }
  };
  const toldAbout = (itemId: string) => told.filter((effect) => effect.itemId === itemId).map((effect) => effect.type);

  beforeEach(async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask'] });
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    sandbox = await startSandbox({ webhookHeaders: { 'X-Webhook-Secret': WEBHOOK_SECRET } });
    process.env.PLUGGY_API_URL = sandbox.url; // pluggy-sdk 0.90 reads it in its constructor
    told.length = 0;
    service = startService({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, webhookSecret: WEBHOOK_SECRET }, (effect) => {
      told.push(effect);
      // The user answers the MFA prompt in the app.
      if (effect.type === 'userInputRequired' && effect.parameter) void user.updateItemMFA(effect.itemId, { [effect.parameter.name]: '123456' });
    });
    await new Promise<void>((resolve) => service.webhooks.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(service.webhooks.address() as AddressInfo).port}/`;
    user = new PluggyClient({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret });
  });
  afterEach(async () => {
    service.poller.stop();
    for (const connection of service.connections.values()) connection.stop();
    await sandbox.close();
    await new Promise<void>((resolve) => service.webhooks.close(() => resolve()));
    // Only pluggy-sdk's own logging of HTTP errors may have reached console.error.
    expect(consoleError.mock.calls.filter(([first]) => !String(first).startsWith('[Pluggy SDK]'))).toEqual([]);
    consoleError.mockRestore();
    jest.useRealTimers();
    delete process.env.PLUGGY_API_URL;
  });

  test('follows items through MFA, a bad password, Open Finance accounts arriving late, and a deletion', async () => {
    const mfa = await user.createItem(201, { user: 'user-mfa', password: 'x' }, { webhookUrl });
    const badPassword = await user.createItem(201, { user: 'user-bad-password', password: 'x' }, { webhookUrl });
    const openFinance = await user.createItem(601, { user: 'user-open-finance' }, { webhookUrl });
    for (const item of [mfa, badPassword, openFinance]) service.track(item.id);

    const state = (itemId: string) => service.connections.get(itemId)?.getState().value;
    await until(
      () => state(mfa.id) === 'syncable.synced' && state(badPassword.id) === 'blocked.updateCredentials' && state(openFinance.id) === 'syncable.synced',
      'every item to settle',
    );
    expect(toldAbout(mfa.id)).toEqual(['userInputRequired', 'sync']);
    expect(told.find((effect) => effect.itemId === badPassword.id)).toMatchObject({ type: 'reconnectRequired', remedy: 'updateCredentials' });
    expect(toldAbout(openFinance.id)).toEqual(['userActionRequired', 'sync', 'scheduleRetry', 'sync']);
    expect(sandbox.accounts(openFinance.id)).toHaveLength(2);

    await user.deleteItem(mfa.id);
    await until(() => !service.connections.has(mfa.id), 'the deleted item to be dropped');
    expect(toldAbout(mfa.id)).toEqual(['userInputRequired', 'sync', 'deleted']);
    // Webhooks were the only trigger: the item was fetched once per webhook (plus the first snapshot).
    const gets = sandbox.requests.filter((request) => request.method === 'GET' && request.path === `/items/${openFinance.id}`);
    const hooks = sandbox.webhooks.emitted.filter((sent) => sent.payload.itemId === openFinance.id);
    expect(gets).toHaveLength(hooks.length + 1);
  });
});
