// Re-exports only: the generator's pieces, for tests and other tools.
export * from './names.js';
export * from './schema.js';
export * from './input.js';
export * from './artifacts.js';
export * from './docs.js';
export * from './quicktype.js';
export { renderTypeScript } from './typescript.js';
export { renderSwift } from './swift.js';
export { renderKotlin } from './kotlin.js';
export { renderPython } from './python.js';
