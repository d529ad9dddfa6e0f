// The twin's local "docker build" without a base image: each stage runs in its own temp directory that
// stands for the image's `/`; WORKDIR maps inside it; RUN runs `sh -c` there with the stage's ENV/ARGs
// (plus the host's PATH, HOME and network trust so node/npm work); COPY copies from the context or, with --from, from an
// earlier stage's directory. Output is Docker's classic builder's (`Step n/N : …`), as ACR Tasks logs it.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { DockerfileError, execForm, keyValues, parseDockerfile, shellWords, splitFlags, substitute, type Instruction, type Stage } from './dockerfile.js';

export interface BuildOptions {
  contextDir: string;
  /** Dockerfile path inside the context (DockerBuildRequest.dockerFilePath). */
  dockerfilePath: string;
  target?: string;
  buildArgs?: Record<string, string>;
  /** Where the stage directories go. */
  workDir: string;
  log(text: string): void;
  signal?: AbortSignal;
}

export interface BuiltImage {
  rootDir: string;
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  exposedPorts: string[];
  user?: string;
  id: string;
}

export type BuildResult = { ok: true; image: BuiltImage; stageDirs: string[] } | { ok: false; error: string; stageDirs: string[] };

interface StageState {
  name?: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  args: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  exposedPorts: string[];
  user?: string;
  shell: string[];
}

class StepFailed extends Error {}

const shortId = () => randomBytes(6).toString('hex');

export async function runBuild(options: BuildOptions): Promise<BuildResult> {
  const stageDirs: string[] = [];
  try {
    const text = await readFile(inside(options.contextDir, options.dockerfilePath), 'utf8').catch(() => {
      throw new StepFailed(
        `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${posix.join('/tmp/context', options.dockerfilePath)}: no such file or directory`,
      );
    });
    const parsed = parseDockerfile(text);
    let stages = parsed.stages;
    if (options.target) {
      const t = stages.findIndex((s) => s.name === options.target!.toLowerCase());
      if (t < 0) throw new StepFailed(`failed to reach build target ${options.target} in Dockerfile`);
      stages = stages.slice(0, t + 1);
    }
    const total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    const size = await dirSize(options.contextDir);
    options.log(`Sending build context to Docker daemon  ${formatSize(size)}\r\r\r\n`);
    const globalArgs: Record<string, string> = {};
    for (const ins of parsed.globalArgs) for (const [k, v] of keyValues(ins.raw)) globalArgs[k] = options.buildArgs?.[k] ?? v;
    const built: StageState[] = [];
    let step = 0;
    for (const stage of stages) {
      const state = await fromStage(stage, built, globalArgs, options, stageDirs);
      options.log(`Step ${++step}/${total} : FROM ${substitute(stage.baseImage, globalArgs)}${stage.name ? ` AS ${stage.name}` : ''}\n ---> ${shortId()}\n`);
      for (const ins of stage.instructions) {
        options.log(`Step ${++step}/${total} : ${ins.display}\n`);
        await execute(ins, state, built, options);
        options.log(` ---> ${shortId()}\n`);
      }
      built.push(state);
    }
    const last = built.at(-1)!;
    const id = createHash('sha256').update(`${options.contextDir}${Date.now()}`).digest('hex').slice(0, 12);
    options.log(`Successfully built ${id}\n`);
    return {
      ok: true,
      stageDirs,
      image: {
        rootDir: last.root,
        workdir: last.workdir,
        env: last.env,
        entrypoint: last.entrypoint,
        cmd: last.cmd,
        exposedPorts: last.exposedPorts,
        user: last.user,
        id,
      },
    };
  } catch (error) {
    const message = error instanceof StepFailed || error instanceof DockerfileError ? error.message : String(error);
    options.log(`${message}\n`);
    return { ok: false, error: message, stageDirs };
  }
}

async function fromStage(
  stage: Stage,
  built: StageState[],
  globalArgs: Record<string, string>,
  options: BuildOptions,
  stageDirs: string[],
): Promise<StageState> {
  const root = join(options.workDir, `stage-${stage.index}`);
  stageDirs.push(root);
  const base = substitute(stage.baseImage, globalArgs).toLowerCase();
  const parent = built.find((s) => s.name === base);
  await mkdir(root, { recursive: true });
  if (parent) {
    await cp(parent.root, root, { recursive: true, verbatimSymlinks: true });
    return { ...parent, name: stage.name, root, env: { ...parent.env }, args: {}, exposedPorts: [...parent.exposedPorts] };
  }
  // No base image: an empty root. The base image's own ENV/CMD are unknown to the twin.
  return { name: stage.name, root, workdir: '/', env: {}, args: {}, entrypoint: [], cmd: [], exposedPorts: [], shell: ['/bin/sh', '-c'] };
}

async function execute(ins: Instruction, s: StageState, built: StageState[], options: BuildOptions): Promise<void> {
  const vars = { ...s.args, ...s.env };
  switch (ins.keyword) {
    case 'WORKDIR': {
      s.workdir = posix.resolve(s.workdir, substitute(ins.raw, vars));
      await mkdir(inside(s.root, s.workdir), { recursive: true });
      return;
    }
    case 'ENV':
      for (const [k, v] of keyValues(substitute(ins.raw, vars))) s.env[k] = v;
      return;
    case 'ARG':
      for (const [k, v] of keyValues(ins.raw)) s.args[k] = options.buildArgs?.[k] ?? (ins.raw.includes('=') ? substitute(v, vars) : '');
      return;
    case 'USER':
      s.user = substitute(ins.raw, vars);
      return;
    case 'EXPOSE':
      for (const port of shellWords(substitute(ins.raw, vars))) s.exposedPorts.push(port.includes('/') ? port : `${port}/tcp`);
      return;
    case 'ENTRYPOINT':
      s.entrypoint = execForm(ins.raw) ?? [...s.shell, ins.raw];
      s.cmd = [];
      return;
    case 'CMD':
      s.cmd = execForm(ins.raw) ?? [...s.shell, ins.raw];
      return;
    case 'SHELL':
      s.shell = execForm(ins.raw) ?? s.shell;
      return;
    case 'COPY':
    case 'ADD':
      return copy(ins, s, built, options, vars);
    case 'RUN':
      return runStep(ins, s, options);
    case 'LABEL':
    case 'MAINTAINER':
    case 'STOPSIGNAL':
    case 'HEALTHCHECK':
    case 'VOLUME':
    case 'ONBUILD':
      return;
    default:
      throw new StepFailed(`Unknown instruction: ${ins.keyword}`);
  }
}

async function copy(ins: Instruction, s: StageState, built: StageState[], options: BuildOptions, vars: Record<string, string>): Promise<void> {
  const { flags, rest } = splitFlags(ins.raw);
  const words = execForm(rest) ?? shellWords(rest);
  if (words.length < 2) throw new StepFailed(`${ins.keyword} requires at least two arguments, but only one was provided. Destination could not be determined.`);
  const expanded = words.map((w) => substitute(w, vars));
  const destRaw = expanded.pop()!;
  let sourceRoot = options.contextDir;
  if (flags.from) {
    const from = flags.from.toLowerCase();
    const stage = built.find((b) => b.name === from) ?? (/^\d+$/.test(from) ? built[Number(from)] : undefined);
    if (!stage)
      throw new StepFailed(
        `invalid from flag value ${flags.from}: pull access denied for ${flags.from}, repository does not exist or may require 'docker login'`,
      );
    sourceRoot = stage.root;
  }
  if (expanded.some((src) => /^https?:\/\//.test(src))) throw new StepFailed('the Azure twin does not fetch remote URLs in ADD');
  const dest = posix.resolve(s.workdir, destRaw);
  const sources = (await Promise.all(expanded.map((src) => glob(sourceRoot, src)))).flat();
  if (sources.length === 0) {
    throw new StepFailed(`COPY failed: file not found in build context or excluded by .dockerignore: stat ${expanded[0]}: file does not exist`);
  }
  const destHost = inside(s.root, dest);
  const destIsDir = destRaw.endsWith('/') || destRaw === '.' || sources.length > 1 || (await isDir(destHost));
  for (const src of sources) {
    if (await isDir(src)) {
      await mkdir(destHost, { recursive: true });
      await cp(src, destHost, { recursive: true, verbatimSymlinks: true, force: true });
    } else {
      const target = destIsDir ? join(destHost, basename(src)) : destHost;
      await mkdir(dirname(target), { recursive: true });
      await cp(src, target, { verbatimSymlinks: true, force: true });
    }
  }
}

const hostNetworkVariables = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];

function runStep(ins: Instruction, s: StageState, options: BuildOptions): Promise<void> {
  const exec = execForm(ins.raw);
  const argv = exec ?? [...s.shell, ins.raw];
  const id = shortId();
  options.log(` ---> Running in ${id}\n`);
  const env: Record<string, string> = { ...s.args, ...s.env };
  env.PATH = [process.env.PATH, s.env.PATH].filter(Boolean).join(':');
  env.HOME = process.env.HOME ?? '/root';
  // The build machine's way out to the registry, as an ACR agent has its own: without the host's extra CA
  // behind a TLS-inspecting proxy, npm on Node 24 spends over 2 minutes on retries before `npm ci` ends.
  for (const name of hostNetworkVariables) if (process.env[name] !== undefined && env[name] === undefined) env[name] = process.env[name]!;
  const cwd = inside(s.root, s.workdir);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new StepFailed('the build was canceled'));
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const onAbort = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => options.log(c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => options.log(c.toString('utf8')));
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new StepFailed(`OCI runtime exec failed: exec: "${argv[0]!}": ${error.message}`));
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      options.log(`Removing intermediate container ${id}\n`);
      if (code === 0) return resolve();
      const shown = exec ? JSON.stringify(exec) : `${s.shell.join(' ')} ${ins.raw}`;
      reject(new StepFailed(`The command '${shown}' returned a non-zero code: ${code ?? (signal === 'SIGKILL' ? 137 : 1)}`));
    });
  });
}

/** A path inside a stage root or context (never above it). */
function inside(root: string, path: string): string {
  return join(root, posix.normalize(`/${path}`));
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (st) => st.isDirectory(),
    () => false,
  );
}

/** Expands a COPY source (Go filepath.Match wildcards per segment) inside `root`. */
async function glob(root: string, pattern: string): Promise<string[]> {
  const segments = posix.normalize(`/${pattern}`).split('/').filter(Boolean);
  let current = [root];
  for (const seg of segments) {
    const next: string[] = [];
    for (const dir of current) {
      if (!/[*?[]/.test(seg)) {
        const p = join(dir, seg);
        if (
          await stat(p).then(
            () => true,
            () => false,
          )
        )
          next.push(p);
        continue;
      }
      const re = new RegExp(
        `^${seg
          .replace(/[.+^${}()|\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      const entries = await readdir(dir).catch(() => [] as string[]);
      for (const e of entries.sort()) if (re.test(e)) next.push(join(dir, e));
    }
    current = next;
  }
  return segments.length === 0 ? [root] : current;
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath ?? e.path, e.name))).size;
  }
  return total;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(3)}kB`;
  return `${(bytes / 1024 / 1024).toFixed(2)}MB`;
}
