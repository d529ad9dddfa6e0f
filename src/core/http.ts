/**
 * The one HTTP dispatcher for calls outside the Azure SDK (blob uploads, build logs, the balancer's
 * /healthz, the log stream). It honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY as the Azure SDK does, so a
 * user behind a corporate proxy reaches the same places with either.
 */
import { EnvHttpProxyAgent, fetch, type Dispatcher } from 'undici';

let dispatcher: Dispatcher | undefined;

export function httpDispatcher(): Dispatcher {
  dispatcher ??= new EnvHttpProxyAgent();
  return dispatcher;
}

export function httpFetch(url: string, init: Parameters<typeof fetch>[1] = {}): ReturnType<typeof fetch> {
  return fetch(url, { ...init, dispatcher: httpDispatcher() });
}
