/**
 * The Secret Manager values env vars of a revision read (`value_source.secret_key_ref`): seeded by tests and the
 * console, checked when a template is accepted, read when a revision starts.
 */
import { invalidArgument } from '../rpc.js';
import type { TemplateInput } from '../run-validation.js';
import { projectNumber } from '../wire.js';
import type { CloudRunState } from './state.js';

/** Stores `value` as `version` of the secret, and as its `latest`. */
export function seedSecret(state: CloudRunState, project: string, secret: string, value: string, version = '1'): void {
  const versions = state.secrets.get(`${project}/${secret}`) ?? new Map<string, string>();
  versions.set(version, value);
  versions.set('latest', value);
  state.secrets.set(`${project}/${secret}`, versions);
}

/** The value of a secret version; `secret` is a short name in `project` or a full `projects/P/secrets/S`. */
export function secretValue(
  state: CloudRunState,
  project: string,
  secret: string,
  version: string,
): string | undefined {
  const match = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(secret);
  const key = match ? `${match[1]}/${match[2]}` : `${project}/${secret}`;
  return state.secrets.get(key)?.get(version || 'latest');
}

/** INVALID_ARGUMENT naming the first env var of `template` whose secret version does not exist. */
export function assertSecretsExist(state: CloudRunState, project: string, template: TemplateInput | null): void {
  for (const [index, container] of (template?.containers ?? []).entries()) {
    for (const [envIndex, variable] of container.env.entries()) {
      const ref = variable.valueSource?.secretKeyRef;
      if (!ref) continue;
      if (secretValue(state, project, ref.secret, ref.version) === undefined) {
        throw invalidArgument(
          `service.template.containers[${index}].env[${envIndex}].value_source.secret_key_ref: Secret ${secretPath(project, ref.secret)}/versions/${ref.version || 'latest'} was not found`,
        );
      }
    }
  }
}

function secretPath(project: string, secret: string): string {
  return secret.startsWith('projects/') ? secret : `projects/${projectNumber(project)}/secrets/${secret}`;
}
