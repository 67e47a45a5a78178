/**
 * The HTTP layer's public surface: every REST API of fleetgate (credential APIs, OAuth token
 * endpoint, admin APIs, the 1/KP HTTP binding) declares routes and starts a server with these.
 */
export { startHttpServer, httpService, ServerCodes } from './server.js';
export type { HttpServer } from './server.js';
export { httpDefaults } from './options.js';
export type { HttpAttach, HttpServerOptions } from './options.js';
export { json, noContent, problem, HttpCodes, defaultStatusForCode } from './responses.js';
export { forwardedInfo, forwardedWith, fromTrustedProxy, ProxyTrust } from './proxy.js';
export type { ForwardedInfo } from './proxy.js';
export { openApiDocument } from './openapi.js';
export type { OpenApiInfo, OpenApiOptions } from './openapi.js';
export type {
  AuthorizeHook,
  HttpMethod,
  HttpRequest,
  HttpResponse,
  JsonSchema,
  QueryParamSchema,
  ResponseSpec,
  Route,
} from './types.js';
