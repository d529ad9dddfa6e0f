// What the twin's Azure holds: subscriptions, resource groups, Cognitive Services accounts (live and
// soft-deleted) and their deployments. Names are case-insensitive (ARM), keys are lower-cased.
import { key, normalizeLocation, resourceGroupNotFound, subscriptionNotFound } from './arm.js';

export interface Subscription {
  subscriptionId: string;
  displayName: string;
  tenantId: string;
  state: 'Enabled' | 'Disabled' | 'Warned' | 'PastDue' | 'Deleted';
}

export interface ResourceGroup {
  subscriptionId: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  managedBy?: string;
  provisioningState: 'Succeeded' | 'Deleting';
}

export interface Deployment {
  name: string;
  sku: { name: string; capacity: number };
  model: { format: string; name: string; version: string };
  /** Other request properties kept as sent (versionUpgradeOption, raiPolicyName, …). */
  properties: Record<string, unknown>;
  provisioningState: string;
  etag: string;
  createdAt: string;
  modifiedAt: string;
}

export interface Account {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  kind: string;
  sku: { name: string };
  tags?: Record<string, string>;
  identity?: Record<string, unknown>;
  /** Writable properties as sent (customSubDomainName, disableLocalAuth, publicNetworkAccess, networkAcls, …). */
  properties: Record<string, unknown>;
  provisioningState: string;
  internalId: string;
  dateCreated: string;
  createdAt: string;
  modifiedAt: string;
  etag: string;
  deployments: Map<string, Deployment>;
  deletionDate?: string;
  scheduledPurgeDate?: string;
}

export class TwinState {
  readonly subscriptions = new Map<string, Subscription>();
  readonly groups = new Map<string, ResourceGroup>();
  /** Live accounts by sub/rg/name. */
  readonly accounts = new Map<string, Account>();
  /** Soft-deleted accounts by sub/location/rg/name (the deletedAccounts resource's own key). */
  readonly deletedAccounts = new Map<string, Account>();

  addSubscription(subscription: Subscription): void {
    this.subscriptions.set(subscription.subscriptionId.toLowerCase(), subscription);
  }

  requireSubscription(sub: string): Subscription {
    const found = this.subscriptions.get(sub.toLowerCase());
    if (!found) throw subscriptionNotFound(sub);
    return found;
  }

  group(sub: string, rg: string): ResourceGroup | undefined {
    return this.groups.get(key(sub, rg));
  }

  /** The resource group, or ARM's 404 ResourceGroupNotFound (also while it is being deleted). */
  requireGroup(sub: string, rg: string): ResourceGroup {
    this.requireSubscription(sub);
    const group = this.group(sub, rg);
    if (!group) throw resourceGroupNotFound(rg);
    return group;
  }

  account(sub: string, rg: string, name: string): Account | undefined {
    return this.accounts.get(key(sub, rg, name));
  }

  accountsIn(sub: string, rg?: string): Account[] {
    return [...this.accounts.values()].filter(
      (a) => a.subscriptionId.toLowerCase() === sub.toLowerCase() && (!rg || a.resourceGroup.toLowerCase() === rg.toLowerCase()),
    );
  }

  deletedKey(sub: string, location: string, rg: string, name: string): string {
    return key(sub, normalizeLocation(location), rg, name);
  }

  deletedAccount(sub: string, location: string, rg: string, name: string): Account | undefined {
    return this.deletedAccounts.get(this.deletedKey(sub, location, rg, name));
  }

  /** Every account, live or soft-deleted, that holds a custom subdomain (global across subscriptions). */
  subdomainHolder(subdomain: string): { account: Account; deleted: boolean } | undefined {
    const wanted = subdomain.toLowerCase();
    const holds = (a: Account) => String(a.properties.customSubDomainName ?? '').toLowerCase() === wanted;
    const live = [...this.accounts.values()].find(holds);
    if (live) return { account: live, deleted: false };
    const deleted = [...this.deletedAccounts.values()].find(holds);
    return deleted ? { account: deleted, deleted: true } : undefined;
  }
}
