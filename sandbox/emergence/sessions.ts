/**
 * The sessions the sample backend knows, standing in for its database. One store may be shared
 * by every revision of a service, as the real revisions share one database: a session analysed
 * through one revision is `already_analyzed` through the next.
 */

export interface EmergenceMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** What the analyzer extracts and the session's metadata keeps. */
export interface SessionAnalysis {
  readonly summary: string;
  readonly concepts: readonly string[];
  readonly entities: readonly string[];
}

export interface EmergenceSessionSeed {
  readonly id: string;
  readonly messages: readonly EmergenceMessage[];
  /** Set when the session was analysed before: the skip path answers `already_analyzed`. */
  readonly analysis?: SessionAnalysis;
  /** The analyzer finds nothing to say (empty summary): the answer is `skipped` / `no_changes`. */
  readonly blankAnalysis?: boolean;
}

/** The seed runbook's example session (section 3.1). */
export const SEED_RUNBOOK_SESSION_ID = 'aa327d90-3547-4396-a409-f565182db61a';
/** A session with no messages: `skipped` / `no_history`. */
export const EMPTY_HISTORY_SESSION_ID = '0b7e4c52-1f3a-4d8e-9c61-5e2a7d90c0de';
/** A session whose analysis comes back empty: `skipped` / `no_changes`, then in-memory cache hits. */
export const NO_CHANGES_SESSION_ID = '6d1f2a84-93c7-4b0e-8f25-c4e9b1a7d3f0';
/** A session analysed before the container started: `already_analyzed` at once. */
export const ANALYSED_SESSION_ID = 'e3c58b17-2a6d-4f90-b4c2-7a1d9e0f6b35';

const PHASE3_CONVERSATION: readonly EmergenceMessage[] = [
  { role: 'user', content: "Quelle est l'architecture d'Emergence ?" },
  {
    role: 'assistant',
    content:
      'Emergence repose sur un backend FastAPI déployé sur Cloud Run, une mémoire courte (STM) en SQLite et une mémoire longue (LTM) dans ChromaDB.',
  },
  { role: 'user', content: 'Explique-moi le système de métriques Prometheus.' },
  {
    role: 'assistant',
    content:
      'Le MemoryAnalyzer compte les analyses réussies par provider, les hits et misses du Cache, et mesure la durée de chaque analyse.',
  },
  { role: 'user', content: 'Comment fonctionne le concept recall ?' },
  {
    role: 'assistant',
    content:
      'Le ConceptRecallTracker compare chaque message aux concepts stockés dans ChromaDB et signale les thèmes récurrents.',
  },
];

/**
 * Users' sessions, already analysed: what real traffic asks about (the traffic generator's default), never the
 * runbook's test session. Their analyses take the skip path (`already_analyzed`, about 2 ms).
 */
export const USER_SESSION_IDS: readonly string[] = Array.from(
  { length: 12 },
  (_, index) => `7c0e5a1d-4b2f-4e61-9a3c-${String(index + 1).padStart(12, '0')}`,
);

function userSessionSeed(id: string, index: number): EmergenceSessionSeed {
  const messages = PHASE3_CONVERSATION.slice(0, 2 + 2 * (index % 2));
  return {
    id,
    messages,
    analysis: {
      summary: `L'utilisateur pose ${messages.length / 2} question(s) sur l'architecture d'Emergence.`,
      concepts: ['architecture Emergence'],
      entities: ['Emergence', 'FastAPI', 'Cloud Run'],
    },
  };
}

/** The sessions a fresh sandbox database holds. */
export function defaultSessionSeeds(): EmergenceSessionSeed[] {
  return [
    ...USER_SESSION_IDS.map(userSessionSeed),
    { id: SEED_RUNBOOK_SESSION_ID, messages: PHASE3_CONVERSATION },
    { id: EMPTY_HISTORY_SESSION_ID, messages: [] },
    {
      id: NO_CHANGES_SESSION_ID,
      messages: [
        { role: 'user', content: 'ok' },
        { role: 'assistant', content: 'ok' },
      ],
      blankAnalysis: true,
    },
    {
      id: ANALYSED_SESSION_ID,
      messages: PHASE3_CONVERSATION.slice(0, 2),
      analysis: {
        summary:
          "L'utilisateur demande l'architecture d'Emergence : FastAPI sur Cloud Run, STM en SQLite, LTM dans ChromaDB.",
        concepts: ['architecture Emergence', 'mémoire STM/LTM'],
        entities: ['Emergence', 'FastAPI', 'Cloud Run', 'SQLite', 'ChromaDB'],
      },
    },
  ];
}

export interface SessionRecord {
  readonly id: string;
  readonly messages: readonly EmergenceMessage[];
  readonly blankAnalysis: boolean;
  /** `get_session_metadata()`: empty until analysed, then summary, concepts and entities. */
  metadata: Partial<SessionAnalysis>;
}

export class EmergenceSessionStore {
  readonly #sessions = new Map<string, SessionRecord>();

  constructor(seeds: readonly EmergenceSessionSeed[] = defaultSessionSeeds()) {
    for (const seed of seeds) this.add(seed);
  }

  add(seed: EmergenceSessionSeed): SessionRecord {
    const record: SessionRecord = {
      id: seed.id,
      messages: [...seed.messages],
      blankAnalysis: seed.blankAnalysis ?? false,
      metadata: seed.analysis ? { ...seed.analysis } : {},
    };
    this.#sessions.set(seed.id, record);
    return record;
  }

  /** Adds `id` with a short conversation unless it is already known (for `EMERGENCE_TEST_SESSION`). */
  ensure(id: string): SessionRecord {
    return this.#sessions.get(id) ?? this.add({ id, messages: PHASE3_CONVERSATION.slice(0, 4) });
  }

  get(id: string): SessionRecord | undefined {
    return this.#sessions.get(id);
  }

  ids(): string[] {
    return [...this.#sessions.keys()];
  }
}

const TECHNICAL_TERMS =
  /\b(FastAPI|Cloud Run|SQLite|ChromaDB|Prometheus|MemoryAnalyzer|ConceptRecallTracker|STM|LTM|Cache|provider|concept recall|métriques|architecture|mémoire)\b/gi;

/** A deterministic stand-in for the LLM's answer: summary, concepts and entities of the conversation. */
export function analyzeConversation(session: SessionRecord): SessionAnalysis {
  if (session.blankAnalysis) return { summary: '', concepts: [], entities: [] };
  const corpus = session.messages.map((message) => message.content).join('\n');
  const concepts: string[] = [];
  for (const match of corpus.matchAll(TECHNICAL_TERMS)) {
    const term = match[0];
    if (!concepts.some((known) => known.toLowerCase() === term.toLowerCase())) concepts.push(term);
    if (concepts.length >= 5) break;
  }
  const entities: string[] = [];
  for (const match of corpus.matchAll(/\b[A-Z][A-Za-z0-9]+(?:\s[A-Z][a-z]+)?\b/g)) {
    const token = match[0];
    if (!entities.includes(token) && !['Le', 'La', 'Les', 'Comment', 'Quelle', 'Explique'].includes(token))
      entities.push(token);
    if (entities.length >= 8) break;
  }
  const questions = session.messages.filter((message) => message.role === 'user').map((message) => message.content);
  const summary = `L'utilisateur pose ${questions.length} question(s) : ${questions.join(' ')}`.slice(0, 280);
  return { summary, concepts, entities };
}
