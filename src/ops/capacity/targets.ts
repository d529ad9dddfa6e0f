/**
 * The deployments `capacity` works on: every account `up` recorded in the environment
 * (AZURE_OPENAI_ACCOUNTS), each with its chat and embedding deployment as ARM shows them now.
 */
import type { ArmContext } from '../../azure/clients.js';
import { getAccount, getDeployment } from '../../azure/openai.js';
import { UserError } from '../../core/errors.js';
import type { EnvValues } from '../../env/dotenv.js';
import { settled } from '../settled.js';
import { outputKeys, settingKeys as keys } from '../../env/keys.js';
import type { DeploymentRole } from './request.js';
import type { ModelChoice } from '../plan.js';

export interface DeployedModel {
  account: string;
  region: string;
  /** The deployment's name (AZURE_OPENAI_CHATGPT_DEPLOYMENT / AZURE_OPENAI_EMB_DEPLOYMENT). */
  name: string;
  role: DeploymentRole;
  model: ModelChoice;
  sku: string;
  /** Thousands of TPM, as ARM reports it now. */
  capacity: number;
  succeeded: boolean;
}

export interface AccountDeployments {
  account: string;
  region: string;
  deployments: DeployedModel[];
}

export const accountsKey = outputKeys.accounts;

export async function readDeployments(
  arm: ArmContext,
  group: string,
  environment: string,
  values: EnvValues,
  settlePollMs = 2000,
): Promise<AccountDeployments[]> {
  const accounts = (values[accountsKey] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (accounts.length === 0) {
    throw new UserError('env-not-deployed', `environment "${environment}" has no ${accountsKey}: \`up\` has not finished for it.`, {
      suggestion: `run \`aoai-lb up --env ${environment}\` first`,
    });
  }
  const names: Record<DeploymentRole, string> = { chat: values[keys.chatDeployment] || 'chat', embedding: values[keys.embeddingDeployment] || 'embedding' };
  return Promise.all(
    accounts.map(async (account): Promise<AccountDeployments> => {
      const found = await getAccount(arm, group, account);
      if (!found) throw missing(`OpenAI account ${account}`, group, environment);
      const deployments: DeployedModel[] = [];
      for (const role of ['chat', 'embedding'] as const) {
        // A deployment a stopped run left Updating is waited for, so no change collides with it.
        const current = await settled(() => getDeployment(arm, group, account, names[role]), settlePollMs);
        if (!current) throw missing(`deployment ${names[role]} on ${account}`, group, environment);
        deployments.push({
          account,
          region: found.location,
          name: names[role],
          role,
          model: { name: current.model.name ?? '', version: current.model.version ?? '' },
          sku: current.sku.name,
          capacity: current.sku.capacity ?? 0,
          succeeded: current.provisioningState?.toLowerCase() === 'succeeded',
        });
      }
      return { account, region: found.location, deployments };
    }),
  );
}

function missing(what: string, group: string, environment: string): UserError {
  return new UserError('deployment-missing', `${what} of environment "${environment}" was not found in resource group ${group}.`, {
    suggestion: `run \`aoai-lb up --env ${environment}\` to create it again, then change the capacity`,
  });
}
