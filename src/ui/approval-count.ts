import type { ApprovalProgress } from '../deploy/approvals.js';
import { mention } from './escape.js';

/** `1 of 2: <@U…>`: the approvals a request has collected. */
export function approvalCount(progress: ApprovalProgress): string {
  const who = progress.by.map((a) => mention(a.userId)).join(', ');
  return `${progress.by.length} of ${progress.required}${who === '' ? '' : `: ${who}`}`;
}
