/**
 * The metrics a real ÉMERGENCE container exposes on /api/metrics, declared with the names,
 * help texts, labels and buckets of its source (src/backend/features/memory/analyzer.py and
 * concept_recall_metrics.py), after prometheus_client's default collectors (GC, platform, process).
 */
import { Counter, Gauge, Histogram, Info, Registry, type MetricFamily, type SecondsClock } from './prometheus.js';

/** The analyzer's duration buckets, in seconds. */
export const ANALYSIS_DURATION_BUCKETS = [0.5, 1.0, 2.0, 4.0, 6.0, 10.0, 15.0, 20.0, 30.0] as const;

/** What the process collector reads from /proc in the real container. */
export interface ProcessState {
  readonly startSeconds: number;
  cpuSeconds: number;
  residentBytes: number;
  virtualBytes: number;
  openFds: number;
  readonly maxFds: number;
  /** Python GC collections per generation; objects collected grow with them. */
  readonly gcCollections: [number, number, number];
}

/** A freshly started Python 3.11 process with torch, SBERT and ChromaDB loaded (about 612 MiB). */
export function initialProcessState(startSeconds: number): ProcessState {
  return {
    startSeconds: Math.round(startSeconds * 100) / 100,
    cpuSeconds: 14.37,
    residentBytes: 641_728_512,
    // Virtual size is well over 2 GiB in such a process: a memory check must read the resident size.
    virtualBytes: 3_318_398_976,
    openFds: 23,
    maxFds: 1_048_576,
    gcCollections: [1_364, 123, 9],
  };
}

export interface EmergenceMetrics {
  readonly registry: Registry;
  readonly analysisSuccess: Counter;
  readonly analysisFailure: Counter;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheSize: Gauge;
  readonly analysisDuration: Histogram;
  readonly conceptRecall: {
    readonly detections: Counter;
    readonly similarity: Histogram;
    readonly detectionLatency: Histogram;
    readonly vectorSearchDuration: Histogram;
    readonly systemInfo: Info;
  };
}

/** Declares every family in the order the real process registers them. */
export function createEmergenceMetrics(options: {
  now: SecondsClock;
  process: () => ProcessState;
  metricsEnabled: boolean;
}): EmergenceMetrics {
  const { now } = options;
  const registry = new Registry();
  registry.register({ collect: () => gcFamilies(options.process()) });
  registry.register({ collect: () => platformFamilies() });
  registry.register({ collect: () => processFamilies(options.process()) });

  const analysisSuccess = registry.register(
    new Counter('memory_analysis_success_total', "Nombre total d'analyses réussies", ['provider'], now),
  );
  const analysisFailure = registry.register(
    new Counter('memory_analysis_failure_total', "Nombre total d'analyses échouées", ['provider', 'error_type'], now),
  );
  const cacheHits = registry.register(
    new Counter('memory_analysis_cache_hits_total', 'Nombre total de cache hits', [], now),
  );
  const cacheMisses = registry.register(
    new Counter('memory_analysis_cache_misses_total', 'Nombre total de cache misses', [], now),
  );
  const cacheSize = registry.register(
    new Gauge('memory_analysis_cache_size', 'Taille actuelle du cache in-memory', [], now),
  );
  const analysisDuration = registry.register(
    new Histogram(
      'memory_analysis_duration_seconds',
      'Durée des analyses mémoire',
      ['provider'],
      ANALYSIS_DURATION_BUCKETS,
      now,
    ),
  );

  const detections = registry.register(
    new Counter(
      'concept_recall_detections_total',
      'Total number of concept recall detections',
      ['user_id_hash', 'similarity_range'],
      now,
    ),
  );
  registry.register(
    new Counter(
      'concept_recall_events_emitted_total',
      'Total WebSocket concept_recall events emitted',
      ['user_id_hash'],
      now,
    ),
  );
  const similarity = registry.register(
    new Histogram(
      'concept_recall_similarity_score',
      'Distribution of similarity scores for detected concepts',
      [],
      [0.5, 0.75, 0.8, 0.9, 1.0],
      now,
    ),
  );
  const detectionLatency = registry.register(
    new Histogram(
      'concept_recall_detection_latency_seconds',
      'Time to detect recurring concepts (vector search + filtering)',
      [],
      [0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0],
      now,
    ),
  );
  registry.register(
    new Counter(
      'concept_recall_false_positives_total',
      'Detections dismissed by user (Ignorer button)',
      ['user_id_hash'],
      now,
    ),
  );
  registry.register(
    new Counter(
      'concept_recall_interactions_total',
      'User interactions with concept recall banners',
      ['user_id_hash', 'action'],
      now,
    ),
  );
  const vectorSearchDuration = registry.register(
    new Histogram(
      'concept_recall_vector_search_duration_seconds',
      'Duration of ChromaDB vector search',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0],
      now,
    ),
  );
  registry.register(
    new Histogram(
      'concept_recall_metadata_update_duration_seconds',
      'Duration to update vector metadata (mention_count, thread_ids)',
      [],
      [0.01, 0.05, 0.1, 0.5, 1.0],
      now,
    ),
  );
  registry.register(
    new Counter(
      'concept_recall_cross_thread_detections_total',
      'Cross-thread detections by thread count range',
      ['thread_count_range'],
      now,
    ),
  );
  registry.register(
    new Counter(
      'concept_recall_concept_reuse_total',
      'Concepts reused across conversations (mention_count > 1)',
      ['user_id_hash'],
      now,
    ),
  );
  registry.register(
    new Gauge('concept_recall_concepts_total', 'Total concepts in vector store', ['user_id_hash'], now),
  );
  const systemInfo = registry.register(new Info('concept_recall_system', 'Concept recall system information'));
  // The module sets its info labels at import only when the flag is on.
  if (options.metricsEnabled) {
    systemInfo.info({
      version: '1.0',
      similarity_threshold: '0.75',
      max_recalls_per_message: '3',
      collection_name: 'emergence_knowledge',
    });
  }

  return {
    registry,
    analysisSuccess,
    analysisFailure,
    cacheHits,
    cacheMisses,
    cacheSize,
    analysisDuration,
    conceptRecall: { detections, similarity, detectionLatency, vectorSearchDuration, systemInfo },
  };
}

const generations = ['0', '1', '2'] as const;

function gcFamilies(state: ProcessState): MetricFamily[] {
  const collections = state.gcCollections;
  const perGeneration = (name: string, value: (i: number) => number) =>
    generations.map((generation, i) => ({ name, labels: { generation }, value: value(i) }));
  return [
    {
      name: 'python_gc_objects_collected',
      documentation: 'Objects collected during gc',
      type: 'counter',
      samples: perGeneration('python_gc_objects_collected_total', (i) => ([51, 7, 2][i] ?? 0) * (collections[i] ?? 0)),
    },
    {
      name: 'python_gc_objects_uncollectable',
      documentation: 'Uncollectable objects found during GC',
      type: 'counter',
      samples: perGeneration('python_gc_objects_uncollectable_total', () => 0),
    },
    {
      name: 'python_gc_collections',
      documentation: 'Number of times this generation was collected',
      type: 'counter',
      samples: perGeneration('python_gc_collections_total', (i) => collections[i] ?? 0),
    },
  ];
}

function platformFamilies(): MetricFamily[] {
  return [
    {
      name: 'python_info',
      documentation: 'Python platform information',
      type: 'gauge',
      samples: [
        {
          name: 'python_info',
          labels: { implementation: 'CPython', major: '3', minor: '11', patchlevel: '13', version: '3.11.13' },
          value: 1,
        },
      ],
    },
  ];
}

function processFamilies(state: ProcessState): MetricFamily[] {
  const gauge = (name: string, documentation: string, value: number): MetricFamily => ({
    name,
    documentation,
    type: 'gauge',
    samples: [{ name, labels: {}, value }],
  });
  return [
    gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', state.virtualBytes),
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', state.residentBytes),
    gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', state.startSeconds),
    {
      name: 'process_cpu_seconds',
      documentation: 'Total user and system CPU time spent in seconds.',
      type: 'counter',
      samples: [{ name: 'process_cpu_seconds_total', labels: {}, value: Math.round(state.cpuSeconds * 100) / 100 }],
    },
    gauge('process_open_fds', 'Number of open file descriptors.', state.openFds),
    gauge('process_max_fds', 'Maximum number of open file descriptors.', state.maxFds),
  ];
}
