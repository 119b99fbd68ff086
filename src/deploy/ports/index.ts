/**
 * Every port of the domain in one place (DESIGN.md): what Liftoff needs from the outside world, implemented by
 * src/adapters with the real SDKs and by the emulators in tests. The domain imports ports from here only.
 */
export * from './canary-measurements.js';
export * from './clock.js';
export * from './cloud.js';
export * from './directory.js';
export * from './live-facts.js';
export * from './repository.js';
export * from './requests.js';
export * from './store.js';
export * from './thread.js';
