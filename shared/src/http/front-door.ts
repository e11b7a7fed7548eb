import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import type { Router } from 'hono/router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import { NotFoundError, ValidationError } from '../errors.js';
import { formatZodError } from '../zod-issues.js';
import { rejectUpgrade, sendError } from './error-response.js';
import { parseRequestTarget, type RequestTarget } from '../request-target.js';
import type { NodeRoute, RouteBase, RouteRecord, UpgradeRoute } from './route-record.js';

/** What a front door serves and how it decides. */
export interface FrontDoorOptions<A extends string> {
  /** The server's whole route table; `app` must be the routed app of the same table. */
  routes: readonly RouteRecord<A>[];
  app: Hono;
  /** Decides a request's access on the route that matched (its record); the error to answer with, or undefined to go on. */
  authorize(req: IncomingMessage, route: RouteBase<A>): Error | undefined;
  /** Checks every request and upgrade before routing (the agent's Host and Origin rules); undefined to go on. */
  screen?(req: IncomingMessage): Error | undefined;
}

/** The node:http entry of a server: one request listener and one upgrade listener. */
export interface FrontDoor {
  request: RequestListener;
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /**
   * Does now what the first request would: loads the hono adapter (and with it fetch's classes) and builds the
   * routers' matchers. A control plane calls it before it listens, so that its first request after a restart,
   * in the middle of a reconnect storm, costs what any other does.
   */
  warm(): Promise<void>;
}

/**
 * A router of the node-served routes: hono's RegExpRouter (one compiled pattern: ~5x faster per request than the
 * trie, and every request passes here), the trie for a table the RegExpRouter cannot compile (hono's default pair).
 */
function fastRouter<T>(): Router<T> {
  return new SmartRouter<T>({ routers: [new RegExpRouter<T>(), new TrieRouter<T>()] });
}

function firstMatch<T>(router: Router<T>, method: string, path: string): T | undefined {
  const [matches] = router.match(method, path);
  return matches[0]?.[0];
}

/**
 * The one way into an HTTP server. The raw request target is parsed once (parseRequestTarget: 400 for encoded
 * slashes, dot segments, control bytes...) and `req.url` becomes the canonical target, so the route that is
 * authorised is the route that runs and the path that is authorised is the path that is forwarded. Then the
 * screen, then: a node-served route (the call gateway) is authorised here and handed the target; a WebSocket
 * route likewise on upgrade, or else a node route's `upgrade` (a WebSocket through `/call`); everything else goes
 * to the routed hono app, where each route checks its own access.
 */
export function createFrontDoor<A extends string>(options: FrontDoorOptions<A>): FrontDoor {
  const nodeRoutes = fastRouter<NodeRoute<A>>();
  const upgradeRoutes = fastRouter<UpgradeRoute<A>>();
  for (const route of options.routes) {
    if (route.serve === 'node') nodeRoutes.add('ALL', route.path, route);
    if (route.serve === 'websocket') upgradeRoutes.add('GET', route.path, route);
  }
  // @hono/node-server is loaded on the first request hono serves: it reaches for fetch's Request and Response,
  // which load undici (~5 MiB of an idle agent; pnpm bench:footprint).
  let honoListener: Promise<RequestListener> | undefined;
  const honoReady = (): Promise<RequestListener> =>
    (honoListener ??= import('@hono/node-server').then((m) => m.getRequestListener(options.app.fetch)));
  const hono = (req: IncomingMessage, res: ServerResponse): void => {
    honoReady().then(
      (listener) => void listener(req, res),
      (err: unknown) => sendError(req, res, err),
    );
  };
  const enter = (req: IncomingMessage): RequestTarget => {
    const target = parseRequestTarget(req.url ?? '');
    req.url = target.url;
    const refusal = options.screen?.(req);
    if (refusal) throw refusal;
    return target;
  };
  /** An upgrade to a node-served route that takes upgrades (the call gateways: WebSockets through the network). */
  const upgradeNodeRoute = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: RequestTarget,
  ): void => {
    const route = firstMatch(nodeRoutes, req.method ?? 'GET', target.path);
    if (!route?.upgrade) throw new NotFoundError(`no WebSocket endpoint at ${target.path}`);
    const refusal = options.authorize(req, route);
    if (refusal) throw refusal;
    route.upgrade(req, socket, head, target);
  };
  return {
    request: (req, res) => {
      try {
        const target = enter(req);
        const route = firstMatch(nodeRoutes, req.method ?? 'GET', target.path);
        if (!route) return hono(req, res);
        const refusal = options.authorize(req, route);
        if (refusal) throw refusal;
        route.handle(req, res, target);
      } catch (err) {
        sendError(req, res, err);
      }
    },
    upgrade: (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      try {
        const target = enter(req);
        const route = req.method === 'GET' ? firstMatch(upgradeRoutes, 'GET', target.path) : undefined;
        if (!route) return upgradeNodeRoute(req, socket, head, target);
        const refusal = options.authorize(req, route);
        if (refusal) throw refusal;
        let query: unknown = Object.fromEntries(new URLSearchParams(target.query));
        if (route.query) {
          const parsed = route.query.safeParse(query);
          if (!parsed.success) throw new ValidationError(`invalid query: ${formatZodError(parsed.error)}`);
          query = parsed.data;
        }
        route.handle(req, socket, head, query);
      } catch (err) {
        rejectUpgrade(socket, err);
      }
    },
    warm: async () => {
      await honoReady();
      options.app.router.match('GET', '/');
      nodeRoutes.match('GET', '/');
      upgradeRoutes.match('GET', '/');
    },
  };
}
