/**
 * The service definitions of the emulator, built from the `.proto` descriptors the Google
 * client packages ship (`build/protos/protos.json`), so the wire format is exactly the one
 * the real clients speak.
 */
import { createRequire } from 'node:module';

import { fromJSON, type Options, type PackageDefinition } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/**
 * How requests are decoded: camelCase names, int64 as strings, enums as names, unset fields
 * with their proto3 defaults (so a missing message is `null` and a missing string is `''`).
 */
const LOADER_OPTIONS: Options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

export interface GcpProtos {
  readonly runServices: ServiceDefinition;
  readonly runRevisions: ServiceDefinition;
  readonly cloudBuild: ServiceDefinition;
  readonly logging: ServiceDefinition;
  readonly monitoringMetrics: ServiceDefinition;
  readonly operations: ServiceDefinition;
  /** Packs a message into `google.protobuf.Any` (`typeUrl` + encoded bytes). */
  readonly packAny: (typeName: AnyTypeName, message: object) => { typeUrl: string; value: Buffer };
}

export type AnyTypeName =
  | 'google.cloud.run.v2.Service'
  | 'google.cloud.run.v2.Revision'
  | 'google.devtools.cloudbuild.v1.Build'
  | 'google.devtools.cloudbuild.v1.BuildOperationMetadata';

let cached: GcpProtos | undefined;

/** Loads (once) the Cloud Run, Cloud Build, Cloud Logging, Cloud Monitoring and long-running operation services. */
export function loadGcpProtos(): GcpProtos {
  cached ??= build();
  return cached;
}

function build(): GcpProtos {
  const runJson = readDescriptor(require, '@google-cloud/run/build/protos/protos.json');
  const buildJson = readDescriptor(require, '@google-cloud/cloudbuild/build/protos/protos.json');
  // @google-cloud/logging keeps its generated client (and protos) in @google-cloud/logging-api.
  const loggingRequire = createRequire(require.resolve('@google-cloud/logging'));
  const loggingJson = readDescriptor(loggingRequire, '@google-cloud/logging-api/build/protos/protos.json');
  const monitoringJson = readDescriptor(require, '@google-cloud/monitoring/build/protos/protos.json');

  const run = fromJSON(runJson, LOADER_OPTIONS);
  const cloudBuild = fromJSON(buildJson, LOADER_OPTIONS);
  const logging = fromJSON(loggingJson, LOADER_OPTIONS);
  const monitoring = fromJSON(monitoringJson, LOADER_OPTIONS);

  const runRoot = protobuf.Root.fromJSON(runJson);
  const buildRoot = protobuf.Root.fromJSON(buildJson);
  const roots: Record<AnyTypeName, protobuf.Root> = {
    'google.cloud.run.v2.Service': runRoot,
    'google.cloud.run.v2.Revision': runRoot,
    'google.devtools.cloudbuild.v1.Build': buildRoot,
    'google.devtools.cloudbuild.v1.BuildOperationMetadata': buildRoot,
  };

  return {
    runServices: service(run, 'google.cloud.run.v2.Services'),
    runRevisions: service(run, 'google.cloud.run.v2.Revisions'),
    cloudBuild: service(cloudBuild, 'google.devtools.cloudbuild.v1.CloudBuild'),
    logging: service(logging, 'google.logging.v2.LoggingServiceV2'),
    monitoringMetrics: service(monitoring, 'google.monitoring.v3.MetricService'),
    // Every package ships the same google.longrunning.Operations; one server answers for all.
    operations: service(run, 'google.longrunning.Operations'),
    packAny: (typeName, message) => {
      const type = roots[typeName].lookupType(typeName);
      const problem = type.verify(type.fromObject(message));
      if (problem) throw new Error(`cannot encode ${typeName}: ${problem}`);
      return {
        typeUrl: `type.googleapis.com/${typeName}`,
        value: Buffer.from(type.encode(type.fromObject(message)).finish()),
      };
    },
  };
}

function readDescriptor(req: NodeJS.Require, path: string): protobuf.INamespace {
  // The descriptors are plain JSON produced by pbjs; protobufjs validates them as it loads.
  return req(path) as protobuf.INamespace;
}

function service(definition: PackageDefinition, name: string): ServiceDefinition {
  const found = definition[name];
  if (found === undefined || 'format' in found) throw new Error(`${name} is not a service in the shipped descriptors`);
  return found;
}
