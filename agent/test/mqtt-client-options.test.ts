import { describe, expect, it } from 'vitest';
import { mqttClientOptions, wantsMqttDebug } from '../src/link/mqtt-client-options.js';

describe('mqttClientOptions', () => {
  const options = { url: 'mqtt://127.0.0.1:1883', clientId: 'edge-1' };

  it("silences MQTT.js's debug lines unless DEBUG asks for them", () => {
    const quiet = mqttClientOptions(options, undefined, undefined);
    expect(typeof quiet.log).toBe('function');
    expect(quiet.log).toHaveLength(0); // no rest arguments: a caller allocates nothing per line
    expect(quiet.log?.('packet %o', { cmd: 'publish' })).toBeUndefined();
    expect(mqttClientOptions(options, undefined, 'express:*').log).toBeDefined();
    for (const debug of ['mqttjs*', 'mqttjs:client', '*', 'foo,mqttjs*', 'foo *'])
      expect(mqttClientOptions(options, undefined, debug).log, debug).toBeUndefined();
  });

  it('reads DEBUG as the debug package does for our purpose: a mqttjs namespace or a bare *', () => {
    expect(wantsMqttDebug(undefined)).toBe(false);
    expect(wantsMqttDebug('')).toBe(false);
    expect(wantsMqttDebug('tether:*')).toBe(false);
    expect(wantsMqttDebug('mqttjs:*')).toBe(true);
    expect(wantsMqttDebug('*')).toBe(true);
  });
});
