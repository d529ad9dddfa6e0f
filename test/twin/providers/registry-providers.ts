// Wires Microsoft.ManagedIdentity, Microsoft.Authorization and Microsoft.ContainerRegistry into the
// twin: their state (AuthState), routes, the blob endpoint and the build workspace.
import type { IncomingHttpHeaders } from 'node:http';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import { AuthState, type AuthTwinOptions, type ImageStore } from './auth-state.js';
import { identityRoutes } from './identity.js';
import { BlobStore, type BlobResponse } from './registry-blobs.js';
import { registryRoutes } from './registry.js';
import { RunExecutor, runRoutes } from './registry-runs.js';
import { roleRoutes } from './roles.js';

export type { AuthState, AuthTwinOptions, ImageStore, RoleAssignment, TwinImage, UserAssignedIdentity } from './auth-state.js';
export { ROLES } from './roles.js';
export { packContext } from './build/archive.js';

export interface AuthProviders {
  state: AuthState;
  images: ImageStore;
  blobs: BlobStore;
  routes: Route[];
  /** Answers a request on the blob endpoint (/__blob/…, no ARM auth), else undefined. */
  handleBlob(method: string, url: URL, headers: IncomingHttpHeaders, body: Buffer): BlobResponse | undefined;
  /** Stops running builds and removes the build workspace (images included). */
  close(): Promise<void>;
}

export function createAuthProviders(ctx: TwinContext, options: AuthTwinOptions = {}): AuthProviders {
  const state = new AuthState(options);
  const blobs = new BlobStore();
  const executor = new RunExecutor(state, blobs);
  // ARM deletes a group's resources and the role assignments inside it.
  ctx.events.on('resourceGroupDeleted', (group: { subscriptionId: string; name: string }) => state.forgetGroup(group.subscriptionId, group.name));
  return {
    state,
    images: state.images,
    blobs,
    routes: [...identityRoutes(ctx, state), ...roleRoutes(ctx, state), ...registryRoutes(ctx, state, blobs), ...runRoutes(ctx, state, blobs, executor)],
    handleBlob: (method, url, headers, body) => blobs.handle(method, url, headers, body),
    close: () => executor.close(),
  };
}
