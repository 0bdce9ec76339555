/**
 * Wire shapes the sandbox serves. They follow pluggy-sdk 0.90's types (`Item`, `Connector`,
 * `Account`, `WebhookEventPayload`) as JSON: every date is an ISO string with milliseconds, the
 * only form pluggy-sdk revives into a `Date`. The sandbox does not import pluggy-sdk (a dev
 * dependency), so the shapes are restated here; tests/sandbox.test.ts checks them against it.
 */
import type { EXECUTION_ERROR_CODES, EXTRA_EXECUTION_STATUSES, ExecutionStatus, ItemStatus } from '../vocabulary/statuses';

/** `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export type IsoDate = string;

export type ExecutionErrorCode = (typeof EXECUTION_ERROR_CODES)[number];
/** pluggy-sdk 0.90's execution statuses: the library's list without the values only other SDKs know. */
export type SdkExecutionStatus = Exclude<ExecutionStatus, (typeof EXTRA_EXECUTION_STATUSES)[number]>;
export type TriggeredBy = 'CLIENT' | 'USER' | 'SYNC' | 'INTERNAL';

/** pluggy-sdk `ProductType`. */
export type ProductType =
  | 'ACCOUNTS'
  | 'CREDIT_CARDS'
  | 'TRANSACTIONS'
  | 'PAYMENT_DATA'
  | 'INVESTMENTS'
  | 'INVESTMENTS_TRANSACTIONS'
  | 'IDENTITY'
  | 'BROKERAGE_NOTE'
  | 'MOVE_SECURITY'
  | 'LOANS'
  | 'ACCOUNT_STATEMENTS';

export interface CredentialJson {
  readonly name: string;
  readonly label: string;
  readonly type?: 'number' | 'password' | 'text' | 'image' | 'select' | 'ethaddress' | 'hcaptcha';
  readonly mfa?: boolean;
  readonly placeholder?: string;
  readonly assistiveText?: string;
  readonly instructions?: string;
  readonly optional?: boolean;
  readonly expiresAt?: IsoDate;
}

export interface ConnectorJson {
  readonly id: number;
  readonly name: string;
  readonly institutionUrl: string;
  readonly imageUrl: string;
  readonly primaryColor: string;
  readonly type: 'PERSONAL_BANK' | 'BUSINESS_BANK';
  readonly country: string;
  readonly credentials: readonly CredentialJson[];
  readonly hasMFA: boolean;
  readonly oauth: boolean;
  readonly oauthUrl?: string;
  readonly health: { readonly status: 'ONLINE' | 'OFFLINE' | 'UNSTABLE'; readonly stage: 'BETA' | null };
  readonly isOpenFinance: boolean;
  readonly isSandbox: boolean;
  readonly supportsPaymentInitiation: boolean;
  readonly supportsScheduledPayments: boolean;
  readonly supportsSmartTransfers: boolean;
  readonly supportsAutomaticPix: boolean;
  readonly supportsBoletoManagement: boolean;
  readonly products: readonly ProductType[];
  readonly createdAt: IsoDate;
  readonly updatedAt: IsoDate;
}

export interface ProductStateJson {
  readonly isUpdated: boolean;
  readonly lastUpdatedAt: IsoDate | null;
  /** pluggy-sdk types only code '001' (the only one the sandbox sends); the API has more (e.g. '423'). */
  readonly warnings?: readonly { readonly code: '001'; readonly message: string; readonly providerMessage?: string }[];
}

export interface StatusDetailJson {
  readonly accounts: ProductStateJson | null;
  readonly creditCards: ProductStateJson | null;
  readonly transactions: ProductStateJson | null;
  readonly investments: ProductStateJson | null;
  readonly investmentTransactions: ProductStateJson | null;
  readonly identity: ProductStateJson | null;
  readonly paymentData: ProductStateJson | null;
  readonly loans: ProductStateJson | null;
  readonly accountStatements: ProductStateJson | null;
}

export interface UserActionJson {
  readonly type: 'qr' | 'authorize-access';
  readonly instructions: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly expiresAt?: IsoDate;
}

export interface ExecutionErrorJson {
  readonly code: ExecutionErrorCode;
  readonly message: string;
  readonly providerMessage?: string;
}

/** `GET /items/{id}` as JSON. */
export interface ItemJson {
  readonly id: string;
  readonly connector: ConnectorJson;
  readonly status: ItemStatus;
  readonly executionStatus: SdkExecutionStatus;
  readonly createdAt: IsoDate;
  readonly updatedAt: IsoDate;
  readonly lastUpdatedAt: IsoDate | null;
  readonly parameter: CredentialJson | null;
  readonly userAction: UserActionJson | null;
  readonly error: ExecutionErrorJson | null;
  readonly statusDetail: StatusDetailJson | null;
  readonly webhookUrl: string | null;
  readonly clientUserId: string | null;
  readonly consecutiveFailedLoginAttempts: number;
  readonly nextAutoSyncAt: IsoDate | null;
  readonly consentExpiresAt: IsoDate | null;
}

export interface AccountJson {
  readonly id: string;
  readonly itemId: string;
  readonly type: 'BANK' | 'CREDIT';
  readonly subtype: 'CHECKING_ACCOUNT' | 'SAVINGS_ACCOUNT' | 'CREDIT_CARD';
  readonly number: string;
  readonly name: string;
  readonly marketingName: string | null;
  readonly balance: number;
  readonly currencyCode: 'BRL';
  readonly owner: string | null;
  readonly taxNumber: string | null;
  readonly bankData: {
    readonly transferNumber: string | null;
    readonly closingBalance: number | null;
    readonly automaticallyInvestedBalance: number | null;
    readonly overdraftContractedLimit: number | null;
    readonly overdraftUsedLimit: number | null;
    readonly unarrangedOverdraftAmount: number | null;
    readonly hasReservedBalance: boolean | null;
    readonly reservedBalances: null;
  } | null;
  readonly creditData: {
    readonly level: string | null;
    readonly brand: string | null;
    readonly balanceCloseDate: IsoDate | null;
    readonly balanceDueDate: IsoDate | null;
    readonly availableCreditLimit: number | null;
    readonly balanceForeignCurrency: number | null;
    readonly minimumPayment: number | null;
    readonly creditLimit: number | null;
    readonly isLimitFlexible: boolean | null;
    readonly status: 'ACTIVE' | 'BLOCKED' | 'CANCELLED' | null;
    readonly holderType: 'MAIN' | 'ADDITIONAL' | null;
  } | null;
}

export interface PageJson<T> {
  readonly total: number;
  readonly totalPages: number;
  readonly page: number;
  readonly results: readonly T[];
}

/** An error answer: `{ code, codeDescription?, message }`, what pluggy-sdk rejects with. */
export interface ErrorBodyJson {
  readonly code: number;
  readonly codeDescription?: string;
  readonly message: string;
}

export type ItemWebhookEvent =
  | 'item/created'
  | 'item/updated'
  | 'item/error'
  | 'item/deleted'
  | 'item/waiting_user_input'
  | 'item/waiting_user_action'
  | 'item/login_succeeded';

/** An item webhook as the sandbox posts it. `id` is the item id (pluggy-sdk: deprecated, use `eventId`). */
export interface WebhookPayloadJson {
  readonly id: string;
  readonly eventId: string;
  readonly event: ItemWebhookEvent;
  readonly itemId: string;
  readonly triggeredBy?: TriggeredBy | null;
  readonly clientUserId?: string | null;
  readonly error?: { readonly code: string; readonly message: string };
  /** Pluggy's docs example of a USER_INPUT_TIMEOUT `item/error` names the expired parameter. */
  readonly parameter?: string;
}
