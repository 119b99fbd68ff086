/**
 * The GitHub REST emulator: `startGitHubEmulator` serves git repositories on disk to
 * the real `octokit` on 127.0.0.1 (git database, contents, commits, statuses, check
 * runs, deployments), with faults a test can switch on. See `emulator.ts`.
 */
export * from './emulator.js';
export { MAX_STATUS_DESCRIPTION } from './routes/deployments.js';
export { COMMIT_STATES, DEPLOYMENT_STATES, type CommitState, type DeploymentState } from './schemas.js';
