/** HTTP error answers shaped like Pluggy's (`{ code, codeDescription, message }`). */
import type { ErrorBodyJson } from './types';

export class SandboxHttpError extends Error {
  readonly body: ErrorBodyJson;

  constructor(
    readonly status: number,
    codeDescription: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxHttpError';
    this.body = codeDescription === undefined ? { code: status, message } : { code: status, codeDescription, message };
  }
}

export const itemNotFound = (): SandboxHttpError => new SandboxHttpError(404, 'ITEM_NOT_FOUND', 'Item not found');
export const badRequest = (codeDescription: string, message: string): SandboxHttpError =>
  new SandboxHttpError(400, codeDescription, message);
