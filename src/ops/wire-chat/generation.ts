/**
 * Which client generation a chat app (Azure-Samples/azure-search-openai-demo or a fork) is, read from its
 * backend's Python source, because the two read AZURE_OPENAI_CUSTOM_URL differently
 * (reference-sample.md §5):
 * - 2024: `AsyncAzureOpenAI(azure_endpoint=…)`, which appends `/openai` and `/deployments/<name>` itself,
 *   so the URL is the balancer's bare URL;
 * - 2025+: the plain `AsyncOpenAI(base_url=…)` with the Azure base URL ending in `/openai/v1`, so the URL is
 *   used verbatim and must carry that path.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export type ChatGeneration = '2024' | '2025';

export interface DetectedGeneration {
  generation: ChatGeneration;
  /** The file that decided it, relative to the chat app's folder. */
  file: string;
}

const azureClientConstructor = /\b(?:Async)?AzureOpenAI\s*\(/;
const v1BaseUrl = /\/openai\/v1\b/;
const skippedFolders = new Set(['tests', 'test', 'node_modules', '__pycache__', '.venv', 'venv', '.git', 'static']);

/**
 * 2024 when any backend source constructs an (Async)AzureOpenAI client; else 2025 when any builds an
 * `/openai/v1` base URL; undefined when neither shows (not this chat app, or a layout we do not know).
 */
export async function detectGeneration(chatDir: string): Promise<DetectedGeneration | undefined> {
  const backend = join(chatDir, 'app', 'backend');
  let v1File: string | undefined;
  for (const file of await pythonFiles(backend)) {
    const source = await readFile(file, 'utf8');
    if (!/AZURE_OPENAI_CUSTOM_URL|azure_openai_custom_url|AsyncOpenAI|AzureOpenAI/.test(source)) continue;
    const code = withoutComments(source);
    if (azureClientConstructor.test(code)) return { generation: '2024', file: relative(chatDir, file) };
    if (v1File === undefined && v1BaseUrl.test(code)) v1File = relative(chatDir, file);
  }
  return v1File === undefined ? undefined : { generation: '2025', file: v1File };
}

async function pythonFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !skippedFolders.has(entry.name)) files.push(...(await pythonFiles(path)));
    else if (entry.isFile() && entry.name.endsWith('.py')) files.push(path);
  }
  return files;
}

/** Python `#` comments and docstrings name the old client in prose; only code counts. */
function withoutComments(source: string): string {
  return source.replace(/("""|''')[\s\S]*?\1/g, '').replace(/^\s*#.*$/gm, '');
}
