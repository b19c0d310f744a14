// Vitest setup file (vitest.config.ts → setupFiles): every frame a test receives through the raw
// helper or an SDK client from startTestGateway() is validated against the generated JSON Schema.
// A violation fails the test that received it; one that arrives outside a test fails the file's hooks.
import { afterAll, afterEach } from 'vitest';
import { installSchemaCheck, takeSchemaViolations } from '../helpers/frame-schema.js';

installSchemaCheck();

function failOnViolations(): void {
  const found = takeSchemaViolations();
  if (found.length) throw new Error(`frames violate the generated protocol schema (codegen/generated/protocol.schema.json):\n${found.join('\n')}`);
}

afterEach(failOnViolations);
afterAll(failOnViolations);
