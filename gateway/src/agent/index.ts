// The agent runtime: providers, tools, the untrusted-content prompt builder and the loop.
export * from './provider.js';
export * from './config.js';
export * from './prompt.js';
export * from './tools.js';
export * from './loop.js';
export { EchoProvider, ECHO_HINT, ECHO_LABEL, type EchoProviderOptions } from './providers/echo.js';
export { OpenAIProvider, toOpenAIMessage, type OpenAIProviderOptions, type OpenAITimeouts } from './providers/openai.js';
