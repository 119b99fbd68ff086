/** The emulator's HTTP surface: which path goes to the Web API, a response_url, an upload URL or a permalink. */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { authMethods } from './auth.js';
import { chatMethods, handlePermalink } from './chat.js';
import { directoryMethods } from './directory.js';
import { handleApi } from './dispatch.js';
import { fileMethods, handleUpload } from './files.js';
import { writeText } from './http.js';
import type { MethodRegistry } from './method.js';
import { handleResponseUrl } from './response-url.js';
import type { EmulatorState } from './state.js';
import { viewMethods } from './views.js';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** Routes every request to the families that share `state`. */
export function createRouter(state: EmulatorState): RequestHandler {
  const methods: MethodRegistry = {
    ...authMethods(state),
    ...chatMethods(state),
    ...viewMethods(state),
    ...directoryMethods(state),
    ...fileMethods(state),
  };
  return async (request, response) => {
    const url = new URL(request.url ?? '/', state.baseUrl);
    const segments = url.pathname.split('/').filter((segment) => segment.length > 0);
    const [root, second, third] = segments;
    if (root === 'api' && second !== undefined && segments.length === 2) {
      await handleApi(state, methods, second, url, request, response);
      return;
    }
    if (root === 'response' && second !== undefined && segments.length === 2 && request.method === 'POST') {
      await handleResponseUrl(state, second, request, response);
      return;
    }
    if (
      root === 'upload' &&
      second === 'v1' &&
      third !== undefined &&
      segments.length === 3 &&
      request.method === 'POST'
    ) {
      await handleUpload(state, third, request, response);
      return;
    }
    if (root === 'archives' && second !== undefined && third !== undefined && request.method === 'GET') {
      handlePermalink(state, second, third, response);
      return;
    }
    writeText(response, 404, 'not found');
  };
}
