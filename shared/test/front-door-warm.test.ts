import { describe, expect, it, vi } from 'vitest';
import { createFrontDoor, createRoutedApp, defineRoute } from '../src/index.js';

describe('front door warm-up', () => {
  it('builds the routed app’s matcher before any request, not in the first one', async () => {
    const route = defineRoute({
      method: 'get',
      path: '/healthz',
      access: 'public',
      tag: 'system',
      summary: 'liveness',
      responses: {},
      handle: (c) => c.json({ status: 'ok' }),
    });
    const authorize = () => undefined;
    const app = createRoutedApp([route], { authorize, onInternalError: () => undefined });
    const match = vi.spyOn(app.router, 'match');
    const door = createFrontDoor({ routes: [route], app, authorize });
    expect(match).not.toHaveBeenCalled();
    await door.warm();
    expect(match).toHaveBeenCalled();
  });
});
