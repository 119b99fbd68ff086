/**
 * Redaction wired in at the composition root, the one place that knows both the runbooks (whose plaintext env values
 * must never be echoed) and the outputs: Liftoff's own logger and the run thread. The ui builders already redact
 * known credential shapes; these wrappers add the env values, which only the catalog knows.
 */
import { inspect } from 'node:util';
import type { Logger, LogLevel } from '@slack/logger';
import type { CheckResult } from '../deploy/checks/check-result.js';
import type { FinalReport, ProgressView, StepReport, ThreadReporter } from '../deploy/ports/index.js';
import type { Run } from '../deploy/run.js';
import type { RunbookCatalog } from '../deploy/runbook/loader.js';
import { redact, secretEnvValues } from '../ui/redact.js';

/** The plaintext env values of every runbook (or of one, by name), as the redactor's exact-match list. */
export function catalogSecrets(catalog: RunbookCatalog, runbook?: string): string[] {
  return catalog.runbooks
    .filter((loaded) => runbook === undefined || loaded.runbook.name === runbook)
    .flatMap((loaded) => secretEnvValues(loaded.runbook.deploy.env));
}

function redactArgument(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, { secrets });
  if (value === null || typeof value !== 'object') return value;
  // Errors and objects are printed as the console would, then redacted: a stack or a cause may quote a token too.
  return redact(inspect(value, { depth: 6, breakLength: Infinity }), { secrets });
}

/**
 * A logger that passes every message through the redactor before `inner` sees it, so neither Liftoff's own lines
 * nor Bolt's and the WebClient's can write a token or an env value to the process's logs.
 */
export function redactingLogger(inner: Logger, secrets: () => readonly string[]): Logger {
  const pass =
    (write: (...msg: unknown[]) => void) =>
    (...msg: unknown[]): void => {
      const list = secrets();
      write(...msg.map((value) => redactArgument(value, list)));
    };
  return {
    debug: pass((...msg) => inner.debug(...msg)),
    info: pass((...msg) => inner.info(...msg)),
    warn: pass((...msg) => inner.warn(...msg)),
    error: pass((...msg) => inner.error(...msg)),
    setLevel: (level: LogLevel) => inner.setLevel(level),
    getLevel: () => inner.getLevel(),
    setName: (name: string) => inner.setName(name),
  };
}

function redactCheck(check: CheckResult, r: (text: string) => string): CheckResult {
  return {
    ...check,
    name: r(check.name),
    measured: r(check.measured),
    bound: r(check.bound),
    detail: check.detail === null ? null : r(check.detail),
  };
}

function redactView(view: ProgressView, r: (text: string) => string): ProgressView {
  return {
    ...view,
    image: view.image === null ? null : r(view.image),
    build: view.build === null ? null : { ...view.build, step: view.build.step === null ? null : r(view.build.step) },
    candidateUrl: view.candidateUrl === null ? null : r(view.candidateUrl),
    checks: view.checks.map((check) => redactCheck(check, r)),
  };
}

function redactStep(report: StepReport, r: (text: string) => string): StepReport {
  return {
    ...report,
    title: r(report.title),
    lines: report.lines.map(r),
    ...(report.link === undefined ? {} : { link: { ...report.link, text: r(report.link.text) } }),
  };
}

function redactFinal(report: FinalReport, r: (text: string) => string): FinalReport {
  return { ...report, reason: report.reason === null ? null : r(report.reason) };
}

/**
 * The run thread with the run's runbook env values redacted from everything it is given (step lines quote log
 * entries, build output and Cloud Run messages), before the ui builders escape and redact the known shapes.
 */
export function redactingReporter<R extends ThreadReporter>(inner: R, secretsOf: (run: Run) => readonly string[]): R {
  const redactorFor = (run: Run): ((text: string) => string) => {
    const secrets = secretsOf(run);
    return (text) => redact(text, { secrets });
  };
  return {
    ...inner,
    postStatus: (run, view) => inner.postStatus(run, redactView(view, redactorFor(run))),
    updateStatus: (run, ts, view) => inner.updateStatus(run, ts, redactView(view, redactorFor(run))),
    postStep: (run, report) => inner.postStep(run, redactStep(report, redactorFor(run))),
    postFinal: (run, report) => inner.postFinal(run, redactFinal(report, redactorFor(run))),
    // The card holds revision names and numbers the judge computed: nothing from the runbook's env.
    postCanary: (run, view) => inner.postCanary(run, view),
    updateCanary: (run, ts, view) => inner.updateCanary(run, ts, view),
    permalink: (run) => inner.permalink(run),
  };
}
