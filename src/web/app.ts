import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, LogController, type RawServerDefault } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import type { Store } from '../db/database.js';
import { handleError, handleNotFound } from './error-handler.js';
import { registerHealthRoutes } from './health.routes.js';
import type { Logger } from './logger.js';

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  Logger,
  ZodTypeProvider
>;

export interface AppDependencies {
  config: Config;
  store: Store;
  logger: Logger;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Assembles the HTTP application from its collaborators; it does not listen. */
export function buildApp({ store, logger }: AppDependencies): App {
  const app = Fastify({
    loggerInstance: logger,
    genReqId: function requestId(request) {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && requestIdPattern.test(incoming)
        ? incoming
        : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onSend', async function echoRequestId(request, reply) {
    reply.header('x-request-id', request.id);
    // While shutting down, a kept-alive connection would hold the process open until it times out.
    if (!app.server.listening) reply.header('connection', 'close');
  });

  registerHealthRoutes(app, store);
  return app;
}
