import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedAgentVersions, agentVersionRefusal, parseVersion } from '@tether/shared';

describe('agent versions a control plane accepts', () => {
  it.each([
    ['0.2.0', '0.2.5', 'accepted'],
    ['0.2.0', '0.1.0', 'accepted'],
    ['0.2.0', '0.1.9-rc.1', 'accepted'],
    ['0.2.0', '0.0.9', 'too old'],
    ['0.2.0', '0.3.0', 'newer'],
    ['0.2.0', '1.2.0', 'newer'],
    ['1.0.0', '0.9.0', 'too old'],
    ['0.1.0', '0.0.0', 'accepted'],
    ['0.2.0', 'latest', 'not a version'],
  ])('hub %s, agent %s: %s', (hub, agent, expected) => {
    const why = agentVersionRefusal(agent, hub);
    if (expected === 'accepted') expect(why).toBeUndefined();
    else expect(why).toContain(expected);
  });

  it('an agent that reports no version is accepted (nothing is known against it)', () => {
    expect(agentVersionRefusal(undefined, '0.2.0')).toBeUndefined();
    expect(agentVersionRefusal(null, '0.2.0')).toBeUndefined();
  });

  it('accepts exactly its own major at its minor or one behind, and says what to upgrade otherwise', () => {
    const part = fc.integer({ min: 0, max: 20 });
    fc.assert(
      fc.property(part, part, part, part, part, part, (hM, hm, hp, aM, am, ap) => {
        const hub = `${hM}.${hm}.${hp}`;
        const why = agentVersionRefusal(`${aM}.${am}.${ap}`, hub);
        const accepted = aM === hM && am <= hm && am >= hm - 1;
        expect(why === undefined).toBe(accepted);
        if (why) expect(why).toContain(acceptedAgentVersions(hub).text);
        if (why && (aM < hM || (aM === hM && am < hm - 1))) expect(why).toContain('upgrade the agent');
        if (why && (aM > hM || (aM === hM && am > hm)))
          expect(why).toContain('upgrade the control plane first');
      }),
    );
  });

  it('parses major.minor.patch with an optional suffix, nothing else', () => {
    expect(parseVersion('1.2.3-rc.1')).toEqual({ major: 1, minor: 2, patch: 3 });
    expect(parseVersion('1.2')).toBeUndefined();
    expect(parseVersion(undefined)).toBeUndefined();
  });
});
