// What every provider module gets: the state, the catalog, the operation engine, the event hooks and
// the twin's options.
import { EventEmitter } from 'node:events';
import type { Catalog } from './catalog.js';
import type { OperationEngine } from './lro.js';
import type { Account, Deployment, TwinState } from './state.js';

/**
 * Hooks for whoever hosts the accounts' data planes (a later session starts a simulated OpenAI
 * endpoint per account). Events:
 *  - 'accountCreated' (account: Account)            the account reached Succeeded (also on restore)
 *  - 'accountDeleted' (account: Account)            the account was soft-deleted (its data plane stops)
 *  - 'accountPurged' (account: Account)             the soft-deleted account is gone for good
 *  - 'deploymentChanged' (account, deployment, capacity)  a deployment reached Succeeded with this capacity
 *  - 'deploymentDeleted' (account, deploymentName)
 */
export class TwinEvents extends EventEmitter {
  onAccountCreated(listener: (account: Account) => void): this {
    return this.on('accountCreated', listener);
  }

  onDeploymentChanged(listener: (account: Account, deployment: Deployment, capacity: number) => void): this {
    return this.on('deploymentChanged', listener);
  }
}

export interface TwinContext {
  state: TwinState;
  catalog: Catalog;
  ops: OperationEngine;
  events: TwinEvents;
  tenantId: string;
  /** The data-plane endpoint ARM reports for an account (default https://{subdomain}.openai.azure.com/). */
  accountEndpoint(account: Account): string;
}
