/**
 * Loads every runbook in a directory. A broken runbook (YAML syntax, a missing variable, a schema error, a name
 * another file also uses, a missing deploy log template) is listed as invalid with its errors and never stops the
 * others from loading; nothing here throws.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { type YAMLError, parseDocument } from 'yaml';

import { type Env, type InterpolationError, interpolate } from './interpolate.js';
import { type Runbook, type RunbookIssue, validateRunbook } from './schema/index.js';

export interface LoadedRunbook {
  /** The file name, relative to the runbook directory. */
  readonly file: string;
  readonly runbook: Runbook;
  /** Loads, but deserves a look (e.g. a gcr.io image); each line starts with its key path. */
  readonly warnings: readonly string[];
  /** The deploy log template's text, when the runbook names one. */
  readonly template?: string;
}

export interface InvalidRunbook {
  readonly file: string;
  /** The runbook's name, when the file could be read far enough to find it. */
  readonly name?: string;
  /** `path` is a key path like `deploy.timeoutSeconds`, or `(file)` for the file as a whole. */
  readonly errors: readonly RunbookIssue[];
}

export interface RunbookCatalog {
  /** The valid runbooks, sorted by name. */
  readonly runbooks: readonly LoadedRunbook[];
  /** Sorted by file name. */
  readonly invalid: readonly InvalidRunbook[];
  /** Problems with the directory itself (missing, unreadable): then there are no runbooks at all. */
  readonly errors: readonly string[];
}

export interface LoadRunbooksOptions {
  readonly dir: string;
  /** Fills `${VAR}` placeholders; pass the process environment (or a test's own). */
  readonly env: Env;
}

export type FindRunbookResult =
  | { readonly kind: 'found'; readonly runbook: Runbook; readonly loaded: LoadedRunbook }
  | { readonly kind: 'invalid'; readonly invalid: InvalidRunbook }
  | { readonly kind: 'unknown'; readonly known: readonly string[] };

const FILE = '(file)';
const RUNBOOK_FILE = /\.ya?ml$/i;

type Outcome =
  { readonly ok: true; readonly loaded: LoadedRunbook } | { readonly ok: false; readonly invalid: InvalidRunbook };

function invalidOutcome(file: string, name: string | undefined, errors: readonly RunbookIssue[]): Outcome {
  return { ok: false, invalid: { file, ...(name === undefined ? {} : { name }), errors } };
}

// Duck-typed rather than `instanceof Error`: errors from another realm (a vm context, a test runner) fail that test.
function errnoCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object' || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function errorText(error: unknown): string {
  const message = error !== null && typeof error === 'object' && 'message' in error ? error.message : undefined;
  if (typeof message !== 'string') return String(error);
  const code = errnoCode(error);
  return code === undefined || message.startsWith(`${code}:`) ? message : `${code}: ${message}`;
}

/** The catalog is shared by every request: freezing it keeps one handler from changing what another sees. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** The `name` key as written, for listing a runbook that is invalid. */
function rawName(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || !('name' in value)) return undefined;
  const name = value.name;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
}

/** True when `path` is `prefix` or lies under it (`a.b[0]` is under `a.b` and `a`). */
function isWithin(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

function interpolationIssues(errors: readonly InterpolationError[]): RunbookIssue[] {
  return errors.map(({ path: keyPath, message }) => ({ path: keyPath, message }));
}

/** Most YAML mistakes cascade into several errors: the first few say enough. */
const MAX_YAML_ERRORS = 3;

/**
 * `${VAR}` is fine in block style but breaks a flow collection (`{ project: ${GCP_PROJECT} }`), where `{` and `}`
 * are syntax: the hint says to quote it.
 */
function yamlErrors(source: string, errors: readonly YAMLError[]): RunbookIssue[] {
  const lines = source.split(/\r?\n/);
  let hinted = false;
  const issues = errors.slice(0, MAX_YAML_ERRORS).map((error) => {
    const at = error.linePos?.[0];
    const summary = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    const lineText = at === undefined ? '' : (lines[at.line - 1] ?? '');
    let message = at === undefined ? `YAML: ${summary}` : `YAML line ${at.line}, column ${at.col}: ${summary}`;
    if (!hinted && lineText.includes('${') && /[{[]/.test(lineText.replace(/\$\{[^}]*\}/g, ''))) {
      hinted = true;
      message += ' (inside { } or [ ], quote a placeholder: "${VAR}")';
    }
    return { path: FILE, message };
  });
  if (errors.length > MAX_YAML_ERRORS) {
    issues.push({ path: FILE, message: `YAML: ${errors.length - MAX_YAML_ERRORS} more errors after these` });
  }
  return issues;
}

async function loadOne(dir: string, file: string, env: Env): Promise<Outcome> {
  let source: string;
  try {
    source = await readFile(path.join(dir, file), 'utf8');
  } catch (error) {
    return invalidOutcome(file, undefined, [{ path: FILE, message: `cannot be read (${errorText(error)})` }]);
  }

  const document = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) return invalidOutcome(file, undefined, yamlErrors(source, document.errors));
  let raw: unknown;
  try {
    // A small alias budget: a runbook has no use for the billion-laughs pattern.
    raw = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return invalidOutcome(file, undefined, [{ path: FILE, message: `YAML: ${errorText(error)}` }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return invalidOutcome(file, undefined, [
      { path: FILE, message: 'must be a YAML mapping of keys (name, service, ...)' },
    ]);
  }

  const filled = interpolate(raw, env);
  const written = rawName(raw);
  const name = rawName(filled.value) ?? (written?.includes('${') === true ? undefined : written);
  const placeholderErrors = interpolationIssues(filled.errors);
  const validation = validateRunbook(filled.value);
  if (!validation.ok || placeholderErrors.length > 0) {
    // A key whose placeholder could not be filled would only repeat that error as a schema error: keep the first.
    const schemaErrors = validation.ok
      ? []
      : validation.errors.filter((issue) => !placeholderErrors.some((error) => isWithin(issue.path, error.path)));
    return invalidOutcome(file, name, [...placeholderErrors, ...schemaErrors]);
  }

  const runbook = deepFreeze(validation.runbook);
  const warnings = [...validation.warnings];
  const base = file.replace(RUNBOOK_FILE, '');
  if (base !== runbook.name) {
    warnings.push(`name: "${runbook.name}" differs from the file name ${file}; /deploy uses the name`);
  }
  for (const warning of document.warnings) warnings.push(`${FILE}: YAML ${warning.message.split('\n')[0] ?? ''}`);

  if (runbook.deployLog === undefined) return { ok: true, loaded: { file, runbook, warnings } };
  const templateFile = runbook.deployLog.template;
  try {
    const template = await readFile(path.join(dir, templateFile), 'utf8');
    return { ok: true, loaded: { file, runbook, warnings, template } };
  } catch (error) {
    const missing = errnoCode(error) === 'ENOENT';
    const message = missing
      ? `template ${templateFile} not found next to ${file} (in ${dir})`
      : `template ${templateFile} cannot be read (${errorText(error)})`;
    return invalidOutcome(file, runbook.name, [{ path: 'deployLog.template', message }]);
  }
}

/**
 * Reads every `*.yml` / `*.yaml` file of `dir` (not its subdirectories, not hidden files), fills placeholders from
 * `env`, validates each and reads its deploy log template. Never throws: each problem is attached to its file, and a
 * missing directory gives an empty catalog with one error.
 */
export async function loadRunbooks(options: LoadRunbooksOptions): Promise<RunbookCatalog> {
  const { dir, env } = options;
  let files: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    files = entries
      .filter((entry) => entry.isFile() && RUNBOOK_FILE.test(entry.name) && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    const code = errnoCode(error);
    const message =
      code === 'ENOENT'
        ? `the runbook directory ${dir} does not exist (set LIFTOFF_RUNBOOKS to the directory that holds the runbooks)`
        : code === 'ENOTDIR'
          ? `the runbook directory ${dir} is not a directory (set LIFTOFF_RUNBOOKS to the directory that holds the runbooks)`
          : `the runbook directory ${dir} cannot be read (${errorText(error)})`;
    return { runbooks: [], invalid: [], errors: [message] };
  }

  const outcomes = await Promise.all(files.map((file) => loadOne(dir, file, env)));

  // A name claimed by two files is ambiguous: neither is deployed until one is renamed.
  const filesByName = new Map<string, string[]>();
  for (const outcome of outcomes) {
    if (!outcome.ok) continue;
    const { name } = outcome.loaded.runbook;
    filesByName.set(name, [...(filesByName.get(name) ?? []), outcome.loaded.file]);
  }

  const runbooks: LoadedRunbook[] = [];
  const invalidRunbooks: InvalidRunbook[] = [];
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      invalidRunbooks.push(outcome.invalid);
      continue;
    }
    const { file, runbook } = outcome.loaded;
    const others = (filesByName.get(runbook.name) ?? []).filter((other) => other !== file);
    if (others.length === 0) {
      runbooks.push(outcome.loaded);
    } else {
      invalidRunbooks.push({
        file,
        name: runbook.name,
        errors: [
          { path: 'name', message: `"${runbook.name}" is also the name of ${others.join(', ')}: names must be unique` },
        ],
      });
    }
  }
  runbooks.sort((a, b) => a.runbook.name.localeCompare(b.runbook.name));
  return { runbooks, invalid: invalidRunbooks, errors: [] };
}

/**
 * One line per error, e.g. `phase3.yml: deploy.timeoutSeconds: must be at most 3600 (got 120000)`.
 * Accepts one invalid runbook or several.
 */
export function formatRunbookErrors(invalid: InvalidRunbook | readonly InvalidRunbook[]): string[] {
  const list: readonly InvalidRunbook[] = 'errors' in invalid ? [invalid] : invalid;
  return list.flatMap((runbook) =>
    runbook.errors.map((error) =>
      error.path === FILE ? `${runbook.file}: ${error.message}` : `${runbook.file}: ${error.path}: ${error.message}`,
    ),
  );
}

/**
 * Finds a runbook by the name typed after /deploy (case and surrounding spaces ignored). An invalid runbook is
 * found by its name when it could be read, else by its file name, so a request for it is refused with its errors.
 */
export function findRunbook(catalog: RunbookCatalog, name: string): FindRunbookResult {
  const wanted = name.trim().toLowerCase();
  const loaded = catalog.runbooks.find((candidate) => candidate.runbook.name === wanted);
  if (loaded !== undefined) return { kind: 'found', runbook: loaded.runbook, loaded };
  const broken =
    catalog.invalid.find((candidate) => candidate.name?.toLowerCase() === wanted) ??
    catalog.invalid.find((candidate) => candidate.file.replace(RUNBOOK_FILE, '').toLowerCase() === wanted);
  if (broken !== undefined) return { kind: 'invalid', invalid: broken };
  return { kind: 'unknown', known: catalog.runbooks.map((candidate) => candidate.runbook.name) };
}
