/** Handles one data-plane request: auth → route → body → deployment → validation → faults → quota → reply. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, type AuthConfig } from './auth.js';
import { completionLength, embeddingInputs, estimateCost, promptTokens, choiceCount, maxTokens, type Operation } from './cost.js';
import { isEmbeddingModel, type Deployment, type DeploymentTable } from './deployments.js';
import { DEFAULT_FAULT_RETRY_AFTER_MS, type FaultQueue } from './faults.js';
import { parseJson, readBody, sendJson } from './http.js';
import {
  baseHeaders,
  chatCompletionBody,
  completionId,
  embeddingsBody,
  errors,
  newRequestId,
  rateLimitBody,
  rateLimitHeaders,
  retryAfterSeconds,
  successRateHeaders,
  type ChatResult,
  type ErrorResponse,
  type Headers,
} from './responses.js';
import { matchRoute } from './routes.js';
import { sleep, writeStream } from './sse.js';
import { embeddingBase64, embeddingDimensions, embeddingVector, completionText } from './text.js';
import type { FaultSpec } from './types.js';
import type { LimitReason, LimiterSnapshot } from './rate-limiter.js';

export interface DataPlaneConfig {
  region: string;
  auth: AuthConfig;
  /** Already divided by timeScale. */
  firstTokenMs: number;
  perTokenMs: number;
  completionTokens: number;
  errorWording: 'current' | 'legacy';
  maxBodyBytes: number;
  deployments: DeploymentTable;
  faults: FaultQueue;
  /** Open data-plane responses; see SimulatorStats.inFlight. */
  inFlight: { count: number };
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  signal: AbortSignal;
  headers: Headers;
  requestId: string;
}

function sendError(call: Call, error: ErrorResponse): void {
  sendJson(call.res, error.status, error.body, call.headers);
}

export async function handleDataPlane(config: DataPlaneConfig, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const controller = new AbortController();
  config.inFlight.count += 1;
  res.on('close', () => {
    config.inFlight.count -= 1;
    controller.abort();
  });
  const requestId = newRequestId();
  const clientRequestId = req.headers['x-ms-client-request-id'];
  const headers = baseHeaders(requestId, config.region);
  if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId;
  const call: Call = { req, res, signal: controller.signal, headers, requestId };

  const auth = authenticate(req.headers, config.auth);
  if (auth !== 'ok') {
    req.resume();
    return sendError(call, auth === 'bad-key' ? errors.badKey() : errors.badToken());
  }
  const route = matchRoute(req.method ?? 'GET', url);
  if (route.kind === 'not-found') {
    req.resume();
    return sendError(call, errors.resourceNotFound());
  }
  if (route.kind === 'models') {
    req.resume();
    const models = [...new Set(config.deployments.all().map((d) => d.model))];
    return sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'system' })) }, headers);
  }

  const read = await readBody(req, config.maxBodyBytes);
  if (!read.ok) {
    if (read.reason === 'too-large') {
      res.setHeader('connection', 'close');
      sendError(call, errors.tooLarge(config.maxBodyBytes));
    }
    return;
  }
  const parsed = parseJson(read.text);
  if (parsed === undefined) return sendError(call, errors.invalidJson());
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    return sendError(call, errors.invalidRequest('The request body must be a JSON object.'));
  }
  const body = parsed.value as Record<string, unknown>;

  let name: string;
  if (route.kind === 'dated') name = route.deployment;
  else if (typeof body.model === 'string' && body.model.length > 0) name = body.model;
  else return sendError(call, errors.invalidRequest("'model' is a required property", 'model'));
  const deployment = config.deployments.get(name);
  if (!deployment) return sendError(call, errors.deploymentNotFound());

  deployment.stats.requests += 1;
  const operation = route.operation;
  const problem = validate(operation, deployment, body);
  if (problem) return sendError(call, problem);
  const apiVersion = route.kind === 'dated' ? route.apiVersion : undefined;

  const fault = config.faults.take(deployment.name);
  if (fault) {
    deployment.stats.faultsServed += 1;
    return serveFault(config, call, deployment, fault, operation, apiVersion, body);
  }

  const cost = estimateCost(operation, body);
  const admission = deployment.limiter.tryAdmit(cost);
  if (!admission.admitted) {
    deployment.stats.rejected429 += 1;
    return sendRateLimited(config, call, deployment, operation, apiVersion, admission, admission.reason, admission.retryAfterMs);
  }
  deployment.stats.admitted += 1;
  deployment.stats.tokensCharged += cost;
  Object.assign(headers, successRateHeaders(admission), {
    'x-ms-deployment-name': deployment.name,
    'azureml-model-session': `sim-${deployment.model}`,
    'x-ms-client-request-id': typeof clientRequestId === 'string' ? clientRequestId : requestId,
  });
  if (operation === 'embeddings') return replyEmbeddings(config, call, deployment, body);
  return replyChat(config, call, deployment, body);
}

function validate(operation: Operation, deployment: Deployment, body: Record<string, unknown>): ErrorResponse | undefined {
  if ((operation === 'embeddings') !== isEmbeddingModel(deployment.model)) return errors.operationNotSupported(operation, deployment.model);
  if (operation === 'chat') {
    if (!Array.isArray(body.messages) || body.messages.length === 0) return errors.invalidRequest("'messages' is a required property", 'messages');
    return undefined;
  }
  const inputs = embeddingInputs(body.input);
  if (inputs.length === 0) return errors.invalidRequest("'input' is a required property", 'input');
  if (inputs.length > 2048) return errors.invalidRequest('Too many inputs. The max number of inputs is 2048.', 'input');
  if (!inputs.every((input) => typeof input === 'string' || Array.isArray(input))) return errors.invalidRequest("'input' is invalid", 'input');
  if (body.dimensions !== undefined && !deployment.model.startsWith('text-embedding-3')) {
    return errors.invalidRequest('This model does not support specifying dimensions.', 'dimensions');
  }
  return undefined;
}

function sendRateLimited(
  config: DataPlaneConfig,
  call: Call,
  deployment: Deployment,
  operation: Operation,
  apiVersion: string | undefined,
  snapshot: LimiterSnapshot,
  reason: LimitReason,
  retryAfterMs: number,
): void {
  const body = rateLimitBody({
    deployment: deployment.name,
    model: deployment.model,
    region: config.region,
    operation,
    apiVersion,
    reason,
    retryAfterSeconds: retryAfterSeconds(retryAfterMs),
    wording: config.errorWording,
  });
  sendJson(call.res, 429, body, { ...call.headers, ...rateLimitHeaders(snapshot, reason, retryAfterMs) });
}

function serveFault(
  config: DataPlaneConfig,
  call: Call,
  deployment: Deployment,
  fault: FaultSpec,
  operation: Operation,
  apiVersion: string | undefined,
  body: Record<string, unknown>,
): void | Promise<void> {
  switch (fault.kind) {
    case '429': {
      const retryAfterMs = fault.retryAfterMs ?? DEFAULT_FAULT_RETRY_AFTER_MS;
      return sendRateLimited(config, call, deployment, operation, apiVersion, deployment.limiter.peek(), 'tokens', retryAfterMs);
    }
    case '500':
      return sendError(call, errors.serverError(call.requestId));
    case '503':
      return sendError(call, errors.serviceUnavailable());
    case 'reset':
      call.req.socket.destroy();
      return;
    case 'hang':
      return; // never answered; the socket is destroyed when the client leaves or the simulator closes
    case 'midstream-reset':
      Object.assign(call.headers, successRateHeaders(deployment.limiter.peek()), { 'x-ms-deployment-name': deployment.name });
      if (operation === 'chat' && body.stream === true) return replyChat(config, call, deployment, body, 2);
      return cutShort(call, operation === 'chat' ? chatCompletionBody(chatResult(config, deployment, body)) : { object: 'list', data: [] });
  }
}

/** midstream-reset on a non-streaming request: headers and half the body, then the socket is destroyed. */
function cutShort(call: Call, body: unknown): void {
  const text = JSON.stringify(body);
  call.res.writeHead(200, { ...call.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  call.res.write(text.slice(0, Math.floor(text.length / 2)), () => call.res.destroy());
}

function chatResult(config: DataPlaneConfig, deployment: Deployment, body: Record<string, unknown>): ChatResult {
  const tokens = completionLength(body, config.completionTokens);
  const max = maxTokens(body);
  return {
    id: completionId(),
    created: Math.floor(Date.now() / 1000),
    model: deployment.model,
    text: completionText(tokens),
    choices: choiceCount(body),
    finishReason: max !== undefined && max < config.completionTokens ? 'length' : 'stop',
    promptTokens: promptTokens(body.messages),
    completionTokens: tokens,
  };
}

async function replyChat(config: DataPlaneConfig, call: Call, deployment: Deployment, body: Record<string, unknown>, stopAfterEvents?: number): Promise<void> {
  const result = chatResult(config, deployment, body);
  if (body.stream === true) {
    call.res.writeHead(200, {
      ...call.headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, must-revalidate',
      'x-accel-buffering': 'no',
    });
    const options = body.stream_options as { include_usage?: unknown } | null | undefined;
    const includeUsage = options !== null && typeof options === 'object' && options.include_usage === true;
    const plan = { result, includeUsage, firstTokenMs: config.firstTokenMs, perTokenMs: config.perTokenMs };
    return writeStream(call.res, plan, call.signal, stopAfterEvents);
  }
  await sleep(config.firstTokenMs + config.perTokenMs * result.completionTokens, call.signal);
  sendJson(call.res, 200, chatCompletionBody(result), call.headers);
}

async function replyEmbeddings(config: DataPlaneConfig, call: Call, deployment: Deployment, body: Record<string, unknown>): Promise<void> {
  const dimensions = embeddingDimensions(deployment.model, body.dimensions);
  const base64 = body.encoding_format === 'base64';
  const vectors = embeddingInputs(body.input).map((input) => {
    const vector = embeddingVector(input, dimensions);
    return base64 ? embeddingBase64(vector) : vector;
  });
  await sleep(config.firstTokenMs, call.signal);
  sendJson(call.res, 200, embeddingsBody(deployment.model, vectors, estimateCost('embeddings', body)), call.headers);
}
