/** The two connectors the sandbox serves: one direct (credentials + optional MFA), one Open Finance. */
import { DIRECT_CONNECTOR_ID, OPEN_FINANCE_CONNECTOR_ID } from './constants';
import type { ConnectorJson } from './types';

const CONNECTORS_SINCE = '2024-01-01T00:00:00.000Z';

const common = {
  institutionUrl: 'https://sandbox.pluggy.local',
  imageUrl: 'https://sandbox.pluggy.local/logo.svg',
  primaryColor: 'ef294b',
  type: 'PERSONAL_BANK',
  country: 'BR',
  health: { status: 'ONLINE', stage: null },
  isSandbox: true,
  supportsPaymentInitiation: false,
  supportsScheduledPayments: false,
  supportsSmartTransfers: false,
  supportsAutomaticPix: false,
  supportsBoletoManagement: false,
  createdAt: CONNECTORS_SINCE,
  updatedAt: CONNECTORS_SINCE,
} as const;

export const DIRECT_CONNECTOR: ConnectorJson = {
  ...common,
  id: DIRECT_CONNECTOR_ID,
  name: 'Pluggy Bank (sandbox)',
  credentials: [
    { name: 'user', label: 'User', type: 'text', placeholder: 'user-ok' },
    { name: 'password', label: 'Password', type: 'password' },
  ],
  hasMFA: true,
  oauth: false,
  isOpenFinance: false,
  products: ['ACCOUNTS', 'CREDIT_CARDS', 'TRANSACTIONS', 'IDENTITY'],
};

export const OPEN_FINANCE_CONNECTOR: ConnectorJson = {
  ...common,
  id: OPEN_FINANCE_CONNECTOR_ID,
  name: 'Pluggy Bank Open Finance (sandbox)',
  credentials: [
    { name: 'user', label: 'User', type: 'text', placeholder: 'user-open-finance' },
    { name: 'cpf', label: 'CPF', type: 'text', optional: true },
  ],
  hasMFA: false,
  oauth: true,
  oauthUrl: 'https://sandbox.pluggy.local/oauth/authorize',
  isOpenFinance: true,
  products: ['ACCOUNTS', 'CREDIT_CARDS', 'TRANSACTIONS', 'IDENTITY'],
};

export const CONNECTORS: ReadonlyMap<number, ConnectorJson> = new Map([
  [DIRECT_CONNECTOR.id, DIRECT_CONNECTOR],
  [OPEN_FINANCE_CONNECTOR.id, OPEN_FINANCE_CONNECTOR],
]);
