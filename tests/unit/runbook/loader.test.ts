import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  type RunbookCatalog,
  findRunbook,
  formatRunbookErrors,
  loadRunbooks,
} from '../../../src/deploy/runbook/loader.js';

/** A valid runbook file named `name`, with `extra` lines appended at the top level. */
function runbookYaml(name: string, options: { readonly deploy?: string; readonly extra?: string } = {}): string {
  return `name: ${name}
description: The ${name} service
service:
  project: \${GCP_PROJECT}
  region: \${GCP_REGION:-europe-west1}
  name: ${name}-app
source: { repo: acme/${name}, buildTag: { file: build_tag.txt } }
build:
  source: { gitUrl: "https://github.com/acme/${name}.git" }
  image: \${GCP_REGION:-europe-west1}-docker.pkg.dev/\${GCP_PROJECT}/app/${name}:{tag}
deploy:
${options.deploy ?? '  memory: 512Mi\n  cpu: "1"\n  timeoutSeconds: 300\n  allowUnauthenticated: false'}
access: { deployers: "\${DEPLOYERS:-}", approvers: U0APPROVE }
verify:
  session: s-1
  checks:
    - { name: health, kind: http, path: /health, expect: { status: 200 } }
${options.extra ?? ''}
`;
}

const env = { GCP_PROJECT: 'acme-prod-1' };

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'liftoff-runbooks-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(files: Readonly<Record<string, string>>): Promise<RunbookCatalog> {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return loadRunbooks({ dir, env });
}

describe('loadRunbooks', () => {
  it('loads valid runbooks sorted by name, with their template and placeholders filled', async () => {
    const catalog = await write({
      'zeta.yml': runbookYaml('zeta'),
      'alpha.yaml': runbookYaml('alpha', {
        extra: 'deployLog: { path: "docs/{date}-{name}.md", template: alpha.log.md }',
      }),
      'alpha.log.md': '# Déploiement {{tag}}\n',
      'notes.md': 'not a runbook',
      '.hidden.yml': 'not: [valid',
    });
    expect(catalog.errors).toEqual([]);
    expect(catalog.invalid).toEqual([]);
    expect(catalog.runbooks.map((loaded) => [loaded.file, loaded.runbook.name])).toEqual([
      ['alpha.yaml', 'alpha'],
      ['zeta.yml', 'zeta'],
    ]);
    const [alpha, zeta] = catalog.runbooks;
    expect(alpha?.template).toBe('# Déploiement {{tag}}\n');
    expect(alpha?.runbook.service).toEqual({ project: 'acme-prod-1', region: 'europe-west1', name: 'alpha-app' });
    expect(alpha?.runbook.build.image).toBe('europe-west1-docker.pkg.dev/acme-prod-1/app/alpha:{tag}');
    expect(alpha?.runbook.access.deployers).toEqual([]);
    expect(zeta?.template).toBeUndefined();
    // Shared by every request, so frozen all the way down.
    expect(Object.isFrozen(alpha?.runbook.deploy.env)).toBe(true);
    expect(Object.isFrozen(alpha?.runbook.verify.checks[0])).toBe(true);
    expect(zeta?.warnings).toEqual([]);
  });

  it('keeps loading the good runbook beside a bad one', async () => {
    const catalog = await write({
      'good.yml': runbookYaml('good'),
      'bad.yml': runbookYaml('bad', {
        deploy: '  memory: 512Mi\n  cpu: "1"\n  timeoutSeconds: 120000\n  allowUnauthenticated: false',
      }),
    });
    expect(catalog.runbooks.map((loaded) => loaded.runbook.name)).toEqual(['good']);
    expect(catalog.invalid).toEqual([
      {
        file: 'bad.yml',
        name: 'bad',
        errors: [
          {
            path: 'deploy.timeoutSeconds',
            message: expect.stringMatching(/^must be at most 3600 \(got 120000\)/) as unknown,
          },
        ],
      },
    ]);
    expect(formatRunbookErrors(catalog.invalid)[0]).toMatch(
      /^bad\.yml: deploy\.timeoutSeconds: must be at most 3600 \(got 120000\)/,
    );
  });

  it.each<[string, string, string, RegExp, string | undefined]>([
    [
      'a YAML syntax error',
      'name: broken\nservice: { project: [unclosed\n',
      '(file)',
      /^YAML line 3, column 1: Flow sequence/,
      undefined,
    ],
    [
      'an unquoted placeholder in a flow mapping',
      'name: flow\nservice: { project: ${GCP_PROJECT}, region: r }\n',
      '(file)',
      /^YAML line 2, column 22: .*\(inside \{ \} or \[ \], quote a placeholder: "\$\{VAR\}"\)$/,
      undefined,
    ],
    [
      'a duplicate key',
      `${runbookYaml('dup')}name: dup2\n`,
      '(file)',
      /^YAML line \d+, column 1: Map keys must be unique$/,
      undefined,
    ],
    ['a list instead of a mapping', '- name: x\n', '(file)', /must be a YAML mapping/, undefined],
    ['an empty file', '', '(file)', /must be a YAML mapping/, undefined],
    [
      'two YAML documents',
      `${runbookYaml('multi')}---\nname: other\n`,
      '(file)',
      /YAML line \d+, column 1: Source contains multiple documents/,
      undefined,
    ],
    ['an unknown alias', 'name: alias\nservice: *nowhere\n', '(file)', /^YAML: .*nowhere/, undefined],
    [
      'a missing variable',
      runbookYaml('vars').replace('source: { repo: acme/vars', 'source: { repo: "${REPO}"'),
      'source.repo',
      /environment variable REPO is not set/,
      'vars',
    ],
    [
      'a schema error',
      runbookYaml('typo').replace('  memory: 512Mi', '  memroy: 512Mi'),
      'deploy.memroy',
      /unknown key \(did you mean "memory"\?\)/,
      'typo',
    ],
    [
      'a missing template',
      runbookYaml('tpl', { extra: 'deployLog: { path: "docs/{date}.md", template: tpl.log.md }' }),
      'deployLog.template',
      /template tpl\.log\.md not found next to broken\.yml/,
      'tpl',
    ],
  ])('marks that runbook invalid for %s, and loads the others', async (_label, text, errorPath, message, name) => {
    const catalog = await write({ 'broken.yml': text, 'good.yml': runbookYaml('good') });
    expect(catalog.runbooks.map((loaded) => loaded.file)).toEqual(['good.yml']);
    expect(catalog.invalid).toHaveLength(1);
    const invalid = catalog.invalid[0];
    expect(invalid?.file).toBe('broken.yml');
    expect(invalid?.name).toBe(name);
    const error = invalid?.errors.find((candidate) => candidate.path === errorPath);
    expect({ errors: invalid?.errors, found: error !== undefined }).toMatchObject({ found: true });
    expect(error?.message).toMatch(message);
  });

  it('keeps the first YAML errors of a cascade', async () => {
    const catalog = await write({ 'flow.yml': 'service: { project: ${A}, region: ${B}, name: ${C} }\n' });
    const messages = catalog.invalid[0]?.errors.map((error) => error.message) ?? [];
    expect(messages).toHaveLength(4);
    expect(messages[3]).toMatch(/^YAML: \d+ more errors after these$/);
  });

  it('reports a missing variable once, not again as the schema error it causes', async () => {
    await writeFile(path.join(dir, 'vars.yml'), runbookYaml('vars'));
    const catalog = await loadRunbooks({ dir, env: {} });
    const errors = catalog.invalid[0]?.errors ?? [];
    expect(errors).toEqual([
      { path: 'service.project', message: 'environment variable GCP_PROJECT is not set' },
      { path: 'build.image', message: 'environment variable GCP_PROJECT is not set' },
    ]);
  });

  it('reports a missing variable and an unrelated schema error together', async () => {
    const text = runbookYaml('both').replace('  cpu: "1"', '  cpu: "3"');
    await writeFile(path.join(dir, 'both.yml'), text);
    const catalog = await loadRunbooks({ dir, env: {} });
    expect(catalog.invalid[0]?.errors.map((error) => error.path)).toEqual([
      'service.project',
      'build.image',
      'deploy.cpu',
    ]);
  });

  it('makes every file claiming one name invalid, and keeps the others', async () => {
    const catalog = await write({
      'phase3.yml': runbookYaml('phase3'),
      'phase3-copy.yml': runbookYaml('phase3'),
      'other.yml': runbookYaml('other'),
    });
    expect(catalog.runbooks.map((loaded) => loaded.runbook.name)).toEqual(['other']);
    expect(catalog.invalid.map((invalid) => [invalid.file, invalid.name, invalid.errors[0]?.path])).toEqual([
      ['phase3-copy.yml', 'phase3', 'name'],
      ['phase3.yml', 'phase3', 'name'],
    ]);
    expect(catalog.invalid[0]?.errors[0]?.message).toBe(
      '"phase3" is also the name of phase3.yml: names must be unique',
    );
  });

  it('warns when the name differs from the file name', async () => {
    const catalog = await write({ 'deploy-prod.yml': runbookYaml('prod') });
    expect(catalog.runbooks[0]?.warnings).toEqual([
      'name: "prod" differs from the file name deploy-prod.yml; /deploy uses the name',
    ]);
  });

  it('ignores subdirectories', async () => {
    await mkdir(path.join(dir, 'archive.yml'));
    const catalog = await write({ 'good.yml': runbookYaml('good') });
    expect(catalog.runbooks).toHaveLength(1);
    expect(catalog.invalid).toEqual([]);
  });

  it('gives an empty catalog with one clear error for a missing directory', async () => {
    const missing = path.join(dir, 'nope');
    const catalog = await loadRunbooks({ dir: missing, env });
    expect(catalog.runbooks).toEqual([]);
    expect(catalog.invalid).toEqual([]);
    expect(catalog.errors).toEqual([
      `the runbook directory ${missing} does not exist (set LIFTOFF_RUNBOOKS to the directory that holds the runbooks)`,
    ]);
  });

  it('gives one clear error when the directory is a file', async () => {
    const file = path.join(dir, 'file.txt');
    await writeFile(file, '');
    const catalog = await loadRunbooks({ dir: file, env });
    expect(catalog.errors).toEqual([expect.stringMatching(/is not a directory/) as unknown]);
  });
});

describe('findRunbook', () => {
  it('finds a valid runbook, an invalid one by name or file, or lists the known ones', async () => {
    const catalog = await write({
      'good.yml': runbookYaml('good'),
      'named.yml': runbookYaml('named', { deploy: '  memory: 1Pi' }),
      'garbled.yml': 'name: [',
    });
    const found = findRunbook(catalog, '  GOOD ');
    expect(found.kind).toBe('found');
    if (found.kind === 'found') {
      expect(found.runbook.name).toBe('good');
      expect(found.loaded.file).toBe('good.yml');
    }
    expect(findRunbook(catalog, 'named')).toMatchObject({
      kind: 'invalid',
      invalid: { file: 'named.yml', name: 'named' },
    });
    expect(findRunbook(catalog, 'garbled')).toMatchObject({ kind: 'invalid', invalid: { file: 'garbled.yml' } });
    expect(findRunbook(catalog, 'phase4')).toEqual({ kind: 'unknown', known: ['good'] });
  });
});

describe('formatRunbookErrors', () => {
  it('writes one line per error, the file first', () => {
    expect(
      formatRunbookErrors([
        { file: 'a.yml', errors: [{ path: '(file)', message: 'YAML line 1, column 2: bad' }] },
        {
          file: 'b.yml',
          name: 'b',
          errors: [
            { path: 'deploy.memory', message: 'm' },
            { path: 'name', message: 'n' },
          ],
        },
      ]),
    ).toEqual(['a.yml: YAML line 1, column 2: bad', 'b.yml: deploy.memory: m', 'b.yml: name: n']);
  });
});
