/** The two accounts a successful sandbox collection yields: a checking account and a credit card. */
import { randomUUID } from 'node:crypto';
import type { AccountJson } from './types';

const DAY_MS = 86_400_000;

export function sandboxAccounts(itemId: string, now: number): AccountJson[] {
  return [
    {
      id: randomUUID(),
      itemId,
      type: 'BANK',
      subtype: 'CHECKING_ACCOUNT',
      number: '0001/12345-0',
      name: 'Conta Corrente',
      marketingName: 'Pluggy Conta',
      balance: 1_520.37,
      currencyCode: 'BRL',
      owner: 'Sandbox User',
      taxNumber: '000.000.000-00',
      bankData: {
        transferNumber: '0001/12345-0',
        closingBalance: 1_520.37,
        automaticallyInvestedBalance: 0,
        overdraftContractedLimit: null,
        overdraftUsedLimit: null,
        unarrangedOverdraftAmount: null,
        hasReservedBalance: null,
        reservedBalances: null,
      },
      creditData: null,
    },
    {
      id: randomUUID(),
      itemId,
      type: 'CREDIT',
      subtype: 'CREDIT_CARD',
      number: '1234',
      name: 'Cartão Platinum',
      marketingName: 'Pluggy Platinum',
      balance: 312.9,
      currencyCode: 'BRL',
      owner: 'Sandbox User',
      taxNumber: '000.000.000-00',
      bankData: null,
      creditData: {
        level: 'PLATINUM',
        brand: 'MASTERCARD',
        balanceCloseDate: new Date(now + 10 * DAY_MS).toISOString(),
        balanceDueDate: new Date(now + 17 * DAY_MS).toISOString(),
        availableCreditLimit: 4_687.1,
        balanceForeignCurrency: null,
        minimumPayment: 46.93,
        creditLimit: 5_000,
        isLimitFlexible: false,
        status: 'ACTIVE',
        holderType: 'MAIN',
      },
    },
  ];
}
