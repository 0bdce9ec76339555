import { createServer } from 'node:http';
import { PluggyClient } from 'pluggy-sdk';
import { createConnection, type Connection, type Effect } from '../src';
import { createPoller, createWebhookHandler, routeToConnections } from '../src/drivers';

export function startService(env: { clientId: string; clientSecret: string; webhookSecret: string }, notify: (effect: Effect) => void) {
  const pluggy = new PluggyClient({ clientId: env.clientId, clientSecret: env.clientSecret });
  const connections = new Map<string, Connection>();
  const poller = createPoller({ fetchItem: (itemId) => pluggy.fetchItem(itemId) });

  // Pluggy posts here; the header is the one given to createWebhook(event, url, headers).
  const webhooks = createServer(
    createWebhookHandler({
      secret: { header: 'X-Webhook-Secret', value: env.webhookSecret },
      onEvent: routeToConnections((itemId) => connections.get(itemId)),
    }),
  );

  /** Follows an item, e.g. from Pluggy Connect's onSuccess. */
  function track(itemId: string): Connection {
    const connection = createConnection({ itemId, mode: 'push' });
    connections.set(itemId, connection);
    poller.attach(connection); // fetches the item after each webhook, and to reconcile
    connection.on('sync', () => {
      pluggy.fetchAccounts(itemId).then(
        (accounts) => connection.send({ type: 'SYNC_DONE', accounts: accounts.total }), // store them first
        (error: unknown) => connection.send({ type: 'SYNC_FAILED', error }),
      );
    });
    connection.on('*', (effect) => {
      if (effect.type !== 'fetch') notify(effect); // MFA prompts, reconnection banners...
    });
    connection.on('deleted', () => connections.delete(itemId));
    void poller.fetch(itemId); // the first snapshot
    return connection;
  }

  return { webhooks, track, connections, poller };
}
