/**
 * The names Liftoff gives Cloud Run: revision names and traffic tags, from one place, so every deploy, redeploy and
 * verification derives them the same way and each stays within what Cloud Run accepts.
 *
 * What Cloud Run accepts:
 * - a revision name is `<service>-<suffix>`, a lowercase RFC 1035 label of at most 63 characters (lowercase
 *   letters, digits and dashes, a letter first, no dash last);
 * - a traffic tag is a lowercase RFC 1035 label of at least 3 characters, and the tag and the service name together
 *   are at most 46 characters. Cloud Run's own refusal: "traffic tag '…' and service name '…' together are too long.
 *   Combined traffic tag and service name cannot exceed 46 characters." (INVALID_ARGUMENT on `spec.traffic.tag`,
 *   quoted from run.googleapis.com in firebase/firebase-tools#6137 and from gcloud in
 *   PolicyEngine/policyengine-api#3729). The tag URL is `https://<tag>---<service>-<hash>-<region>.a.run.app`, and
 *   its first label holds at most 63 characters (RFC 1035): 63 less `---`, the 10-character project hash, the
 *   2-character region code and their dashes leaves 46 for tag and service.
 *
 * A name too long is shortened to a prefix and a hash of the whole, so two names that differ anywhere stay
 * different after shortening, and the same input always gives the same name (a resumed run finds its revision).
 */
import { createHash } from 'node:crypto';

export const MAX_REVISION_NAME = 63;
export const MAX_TAG_AND_SERVICE = 46;
export const MIN_TAG = 3;
const HASH_LENGTH = 8;

export type TagResult = { readonly ok: true; readonly tag: string } | { readonly ok: false; readonly message: string };

/** Text as a piece of a Cloud Run name: lowercase letters, digits and single dashes, no dash at either end. */
export function namePiece(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `text` cut to `length`, ending on a letter or digit (never a dash). */
function cut(text: string, length: number): string {
  return text.slice(0, Math.max(length, 0)).replace(/-+$/, '');
}

/**
 * The traffic tag for `text` (e.g. `build-deploy-20251009-073931`, `redeploy-3fa2c1`) on `service`: the text as a
 * lowercase label, or, when tag and service name would pass 46 characters, its head and a hash of the whole that
 * fit. Refused only when the service name leaves no room for a tag of 3 characters (44 characters or more).
 */
export function revisionTag(service: string, text: string): TagResult {
  const room = MAX_TAG_AND_SERVICE - service.length;
  if (room < MIN_TAG) {
    return {
      ok: false,
      message: `Cloud Run allows no traffic tag on a service named ${service} (${service.length} characters): tag and service name together may not pass ${MAX_TAG_AND_SERVICE} characters, and a tag has at least ${MIN_TAG}`,
    };
  }
  const piece = namePiece(text);
  // A tag begins with a letter: a piece that does not gets one.
  const whole = /^[a-z]/.test(piece) ? piece : `t${piece}`;
  if (whole.length >= MIN_TAG && whole.length <= room) return { ok: true, tag: whole };
  const hash = hashOf(whole);
  if (room <= HASH_LENGTH + 1) return { ok: true, tag: `${whole.charAt(0)}${hash.slice(0, room - 1)}` };
  return { ok: true, tag: `${cut(whole, room - HASH_LENGTH - 1)}-${hash.slice(0, HASH_LENGTH)}` };
}

/**
 * The revision name `<service>-<what>-<unique>` (`unique` short and unique per run, kept whole): `what` is
 * shortened, with a hash of it, when the name would pass 63 characters, and left out when even that does not fit.
 */
export function revisionName(service: string, what: string, unique: string): string {
  const end = namePiece(unique);
  const middle = namePiece(what);
  const head = `${service}-`;
  const tail = end === '' ? '' : `-${end}`;
  const full = `${head}${middle}${tail}`.replace(/-+$/, '');
  if (full.length <= MAX_REVISION_NAME) return full;
  const room = MAX_REVISION_NAME - head.length - tail.length;
  if (room <= HASH_LENGTH + 1) return cut(`${head}${end}`, MAX_REVISION_NAME);
  return `${head}${cut(middle, room - HASH_LENGTH - 1)}-${hashOf(middle).slice(0, HASH_LENGTH)}${tail}`;
}
