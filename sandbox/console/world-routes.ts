import { execFile } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { RouteHandler } from '../../src/bot/http-receiver.js';
import { EMERGENCE_REPO, type EmulatedCloud } from '../emulated-cloud.js';

const run = promisify(execFile);

/** The fault switches of the console's side panel. */
export const FAULTS = {
  failBuild: 'Fail the next build',
  unhealthy: 'New revisions are unhealthy',
  slowCacheHit: 'Slow cache hit on new revisions (300 ms)',
  metricsDisabled: 'Metrics disabled on new revisions',
  githubDown: 'GitHub is down',
} as const;
type FaultName = keyof typeof FAULTS;

const faultInput = z.object({ name: z.enum(Object.keys(FAULTS) as [FaultName, ...FaultName[]]), on: z.boolean() });
const shaParam = z.string().regex(/^[0-9a-f]{7,40}$/);
const pathParam = z
  .string()
  .regex(/^[\w./-]+\.md$/)
  .refine((p) => !p.includes('..'));

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  return JSON.parse(raw) as unknown;
}

/** The emulated world beside the channel: builds, revisions and traffic, the repository's log, fault switches. */
export function worldRoutes(cloud: EmulatedCloud): RouteHandler {
  const state: Record<FaultName, boolean> = {
    failBuild: false,
    unhealthy: false,
    slowCacheHit: false,
    metricsDisabled: false,
    githubDown: false,
  };
  const repoDir = cloud.github.repoDir(EMERGENCE_REPO.owner, EMERGENCE_REPO.name);
  const git = async (...args: string[]): Promise<string> =>
    (await run('git', ['-C', repoDir, ...args], { maxBuffer: 4 * 1024 * 1024 })).stdout;

  const apply = (): void => {
    const next = {
      unhealthy: state.unhealthy,
      metricsDisabled: state.metricsDisabled,
      ...(state.slowCacheHit ? { slowCacheHitMs: 300 } : {}),
    };
    cloud.faults.next = Object.values(next).some((v) => v !== false && v !== undefined) ? next : undefined;
    cloud.github.faults.down(state.githubDown);
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/sandbox/world') {
      const log = await git('log', '--format=%H%x1f%s%x1f%cI', '-n', '30', 'HEAD').catch(() => '');
      json(res, 200, {
        faults: Object.entries(FAULTS).map(([name, label]) => ({ name, label, on: state[name as FaultName] })),
        builds: cloud.gcp.builds().slice(-8).reverse(),
        services: cloud.gcp.services(),
        revisions: cloud.gcp.revisions().slice(-8).reverse(),
        commits: log
          .trim()
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => {
            const [sha = '', subject = '', at = ''] = line.split('\x1f');
            return { sha, subject, at };
          }),
      });
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/sandbox/commit') {
      const sha = shaParam.safeParse(url.searchParams.get('sha'));
      if (!sha.success) return (json(res, 400, { error: 'expected ?sha=<commit>' }), true);
      const files = (await git('show', '--name-only', '--format=', sha.data).catch(() => ''))
        .trim()
        .split('\n')
        .filter((f) => f !== '');
      const logs = files.filter((f) => pathParam.safeParse(f).success);
      const shown = await Promise.all(
        logs.map(async (path) => ({ path, content: await git('show', `${sha.data}:${path}`).catch(() => '') })),
      );
      json(res, 200, { sha: sha.data, files, logs: shown });
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/sandbox/fault') {
      const input = faultInput.safeParse(await readBody(req).catch(() => undefined));
      if (!input.success)
        return (json(res, 400, { error: `expected {name: ${Object.keys(FAULTS).join(' | ')}, on: boolean}` }), true);
      state[input.data.name] = input.data.on;
      if (input.data.name === 'failBuild' && input.data.on)
        cloud.gcp.faults.failNextBuild('FAILURE', 'Step #0 - "docker build": pip install failed (sandbox fault)');
      apply();
      json(res, 200, { ok: true });
      return true;
    }
    return false;
  };
}
