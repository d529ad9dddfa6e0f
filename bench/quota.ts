/**
 * Measure 5: quota use. Three fresh AOAI simulators (30K TPM each, time-scaled) behind a fresh balancer;
 * the load generator offers 80 % of the summed TPM as seeded Poisson arrivals with client retries off.
 * How much of what was offered got through, and how many upstream 429s the balancer caused on the way.
 */
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import type { LoadGenerator } from './load-client.js';
import { fmt, goal, type Section } from './report.js';
import { clientKey, startBalancer } from './servers.js';
import { chatPath } from './overhead.js';

export interface QuotaSettings {
  backends: number;
  tpm: number;
  /** Share of the summed TPM offered. */
  load: number;
  maxTokens: number;
  timeScale: number;
  simulatedSeconds: number;
  /** Independent runs, each from fresh simulators and a fresh balancer (more requests, same conditions). */
  trials: number;
}

export const defaultQuotaSettings: QuotaSettings = { backends: 3, tpm: 30_000, load: 0.8, maxTokens: 500, timeScale: 20, simulatedSeconds: 60, trials: 3 };

interface Trial {
  seed: number;
  scheduled: number;
  succeeded: number;
  client429: number;
  otherStatuses: Record<string, number>;
  errors: number;
  upstream429: number;
  balancerThrottled: number;
  tokensCharged: number;
  perBackendAdmitted: number[];
}

interface StatusBody {
  backends: { deployments: { deployment: string; throttled: number }[] }[];
}

async function runTrial(load: LoadGenerator, settings: QuotaSettings, seed: number): Promise<Trial> {
  const simulatorKey = 'bench-simulator-key';
  const simulators: Simulator[] = [];
  let balancer: Awaited<ReturnType<typeof startBalancer>> | undefined;
  try {
    for (let index = 0; index < settings.backends; index++) {
      simulators.push(
        await startSimulator({
          deployments: [{ name: 'chat', model: 'gpt-4o-mini', tpm: settings.tpm }],
          apiKeys: [simulatorKey],
          timeScale: settings.timeScale,
          region: `Bench Region ${index + 1}`,
        }),
      );
    }
    balancer = await startBalancer({ backends: simulators.map((simulator) => ({ url: simulator.url, apiKey: simulatorKey })) });
    const requestsPerSimulatedMinute = (settings.load * settings.backends * settings.tpm) / settings.maxTokens;
    const body = JSON.stringify({
      messages: [{ role: 'user', content: 'Summarise the benefits of the health plan.' }],
      max_tokens: settings.maxTokens,
    });
    const result = await load.run({
      kind: 'open',
      origin: balancer.url,
      path: chatPath,
      headers: { 'api-key': clientKey },
      body,
      rate: (requestsPerSimulatedMinute / 60) * settings.timeScale,
      durationMs: (settings.simulatedSeconds * 1000) / settings.timeScale,
      arrivals: 'poisson',
      seed,
      connections: 256,
    });
    const status = (await (await fetch(`${balancer.url}/status`, { headers: { 'api-key': clientKey } })).json()) as StatusBody;
    const stats = simulators.map((simulator) => simulator.stats().deployments.find((deployment) => deployment.name === 'chat')!);
    const { '200': succeeded = 0, '429': client429 = 0, ...otherStatuses } = result.statuses;
    return {
      seed,
      scheduled: result.scheduled,
      succeeded,
      client429,
      otherStatuses,
      errors: result.errors,
      upstream429: stats.reduce((sum, deployment) => sum + deployment.rejected429, 0),
      balancerThrottled: status.backends.reduce((sum, backend) => sum + backend.deployments.reduce((inner, deployment) => inner + deployment.throttled, 0), 0),
      tokensCharged: stats.reduce((sum, deployment) => sum + deployment.tokensCharged, 0),
      perBackendAdmitted: stats.map((deployment) => deployment.admitted),
    };
  } finally {
    await balancer?.stop();
    await Promise.all(simulators.map((simulator) => simulator.close()));
  }
}

/** Informational: the same offer held for 5 simulated minutes, so that the 60 s token windows are full. */
export const steadyStateSettings: QuotaSettings = { ...defaultQuotaSettings, timeScale: 60, simulatedSeconds: 300, trials: 1 };

export async function measureQuota(
  load: LoadGenerator,
  settings: QuotaSettings = defaultQuotaSettings,
  steady: QuotaSettings | undefined = steadyStateSettings,
): Promise<Section> {
  const trials: Trial[] = [];
  for (let index = 0; index < settings.trials; index++) trials.push(await runTrial(load, settings, 1000 + index));
  const steadyTrial = steady === undefined ? undefined : await runTrial(load, steady, 2000);
  const total = (key: 'scheduled' | 'succeeded' | 'client429' | 'errors' | 'upstream429' | 'balancerThrottled' | 'tokensCharged'): number =>
    trials.reduce((sum, trial) => sum + trial[key], 0);
  const scheduled = total('scheduled');
  const succeeded = total('succeeded');
  const successRate = (succeeded / scheduled) * 100;
  const upstreamPerSuccess = total('upstream429') / Math.max(1, succeeded);
  const summedTpm = settings.backends * settings.tpm;
  const simulatedMinutes = (settings.simulatedSeconds / 60) * settings.trials;
  const tokenShare = (total('tokensCharged') / simulatedMinutes / summedTpm) * 100;
  const offeredShare = ((scheduled * settings.maxTokens) / simulatedMinutes / summedTpm) * 100;
  const others = trials.flatMap((trial) => Object.entries(trial.otherStatuses).map(([code, count]) => `${code}×${count}`));
  const requestWindowBudget = Math.floor(((settings.tpm / 1000) * 6) / 6);
  return {
    id: '5',
    title: '5. Quota use: 3 simulated AOAI backends at 80 % of their summed TPM',
    settings: [
      `${settings.backends} fresh simulators, deployment "chat" at ${settings.tpm.toLocaleString('en-US')} TPM each (RPM ${(settings.tpm / 1000) * 6}: ${requestWindowBudget} requests per 10 s window; ${settings.tpm / settings.maxTokens} requests of max_tokens ${settings.maxTokens} per 60 s token window, so the token limit binds); timeScale ${settings.timeScale}, default latency scaled`,
      `offered: ${settings.load * 100} % of ${summedTpm.toLocaleString('en-US')} TPM = ${(settings.load * summedTpm) / settings.maxTokens} requests per simulated minute, seeded Poisson arrivals, for ${settings.simulatedSeconds} simulated s (${(settings.simulatedSeconds / settings.timeScale).toFixed(1)} real s); no client retries`,
      `${settings.trials} independent trials (seeds ${trials.map((trial) => trial.seed).join(', ')}), each from fresh simulators and a fresh balancer; figures are totals over the trials`,
    ],
    header: ['', 'value'],
    rows: [
      ['requests offered', String(scheduled)],
      ['succeeded (200)', String(succeeded)],
      ['success rate', `${fmt(successRate, 2)} %`],
      ['client-visible 429s', String(total('client429'))],
      ['other statuses / errors', `${others.length > 0 ? others.join(', ') : 'none'} / ${total('errors')}`],
      ["upstream 429s (simulators' count)", String(total('upstream429'))],
      ['upstream 429s (balancer /status "throttled")', String(total('balancerThrottled'))],
      ['upstream 429s per success', fmt(upstreamPerSuccess, 4)],
      ['tokens charged per simulated minute, share of summed TPM', `${fmt(tokenShare, 1)} % (offered ${fmt(offeredShare, 1)} %)`],
      ['admitted per backend, per trial', trials.map((trial) => trial.perBackendAdmitted.join('/')).join(', ')],
    ],
    goals: [goal('success rate', successRate, '%', '>=', 99.5), goal('upstream 429s per success', upstreamPerSuccess, '', '<', 0.1)],
    notes: steadyTrial === undefined || steady === undefined ? [] : [steadyNote(steadyTrial, steady)],
    raw: {
      settings,
      trials,
      successRate,
      upstreamPerSuccess,
      tokenSharePercent: tokenShare,
      offeredSharePercent: offeredShare,
      steadyState: steadyTrial && { settings: steady, trial: steadyTrial },
    },
  };
}

function steadyNote(trial: Trial, settings: QuotaSettings): string {
  const summedTpm = settings.backends * settings.tpm;
  const share = (trial.tokensCharged / (settings.simulatedSeconds / 60) / summedTpm) * 100;
  return (
    `informational, no goal — steady state, the same offer for ${settings.simulatedSeconds / 60} simulated minutes (timeScale ${settings.timeScale}, one trial) so that the token windows fill: ` +
    `${trial.succeeded}/${trial.scheduled} succeeded (${fmt((trial.succeeded / trial.scheduled) * 100, 2)} %), ${trial.client429} client 429s, ` +
    `${trial.upstream429} upstream 429s (${fmt(trial.upstream429 / Math.max(1, trial.succeeded), 4)} per success), tokens charged ${fmt(share, 1)} % of summed TPM per simulated minute`
  );
}
