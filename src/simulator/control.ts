/**
 * The control endpoint under /__sim/ (no auth; loopback clients only):
 *   GET    /__sim/stats               → { deployments: DeploymentStats[], faults: PendingFault[] }
 *   POST   /__sim/faults              FaultSpec → 201 { faults }
 *   DELETE /__sim/faults              → 200 { faults: [] }
 *   PUT    /__sim/deployments/{name}  { tpm, model?, rpmPer1000Tpm? } → 200 DeploymentStats (model required for a new one)
 *   POST   /__sim/reset               → 200 { ok: true }
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopback, parseJson, readBody, sendJson } from './http.js';
import { validateFault } from './faults.js';
import { isValidTpm, validateDeployment } from './deployments.js';
import type { FaultSpec, Simulator } from './types.js';

export const CONTROL_PREFIX = '/__sim/';
const CONTROL_BODY_LIMIT = 64 * 1024;

type Control = Pick<Simulator, 'stats' | 'addFault' | 'clearFaults' | 'addDeployment' | 'reset'>;

function fail(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { code: String(status), message } });
}

async function readJson(req: IncomingMessage, res: ServerResponse): Promise<{ value: unknown } | undefined> {
  const read = await readBody(req, CONTROL_BODY_LIMIT);
  if (!read.ok) {
    if (read.reason === 'too-large') fail(res, 413, 'control requests are limited to 64 KiB');
    return undefined;
  }
  const parsed = parseJson(read.text);
  if (parsed === undefined) fail(res, 400, 'the body is not valid JSON');
  return parsed;
}

export async function handleControl(control: Control, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) {
    req.resume();
    return fail(res, 403, 'the control endpoint answers loopback clients only');
  }
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/__sim/stats' && method === 'GET') {
    req.resume();
    return sendJson(res, 200, control.stats());
  }
  if (path === '/__sim/faults' && method === 'POST') {
    const parsed = await readJson(req, res);
    if (parsed === undefined) return;
    const problem = validateFault(parsed.value);
    if (problem !== undefined) return fail(res, 400, problem);
    control.addFault(parsed.value as FaultSpec);
    return sendJson(res, 201, { faults: control.stats().faults });
  }
  if (path === '/__sim/faults' && method === 'DELETE') {
    req.resume();
    control.clearFaults();
    return sendJson(res, 200, { faults: [] });
  }
  if (path === '/__sim/reset' && method === 'POST') {
    req.resume();
    control.reset();
    return sendJson(res, 200, { ok: true });
  }
  const deploymentMatch = /^\/__sim\/deployments\/([^/]+)$/.exec(path);
  if (deploymentMatch && method === 'PUT') {
    const parsed = await readJson(req, res);
    if (parsed === undefined) return;
    let name: string;
    try {
      name = decodeURIComponent(deploymentMatch[1]!);
    } catch {
      return fail(res, 400, 'the deployment name is not valid percent-encoding');
    }
    return putDeployment(control, res, name, parsed.value);
  }
  req.resume();
  return fail(res, 404, `no control route ${method} ${path}`);
}

function putDeployment(control: Control, res: ServerResponse, name: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail(res, 400, 'expected a JSON object such as {"tpm":50000}');
  const update = value as { tpm?: unknown; model?: unknown; rpmPer1000Tpm?: unknown };
  const existing = control.stats().deployments.find((d) => d.name === name);
  if (!isValidTpm(update.tpm)) return fail(res, 400, 'tpm must be a positive integer');
  const spec = {
    name,
    model: update.model ?? existing?.model,
    tpm: update.tpm,
    rpmPer1000Tpm: update.rpmPer1000Tpm,
  } as { name: string; model: string; tpm: number; rpmPer1000Tpm?: number };
  if (spec.rpmPer1000Tpm === undefined) delete spec.rpmPer1000Tpm;
  const problem = validateDeployment(spec);
  if (problem !== undefined) return fail(res, 400, existing ? problem : `${problem} (a new deployment needs "model")`);
  control.addDeployment(spec);
  return sendJson(
    res,
    200,
    control.stats().deployments.find((d) => d.name === name),
  );
}
