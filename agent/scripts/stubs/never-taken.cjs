// Stands in, in the bundle only, for a dependency on a code path the agent never takes (scripts/bundle.js says
// which and why). Loading it costs nothing; using it says what happened.
'use strict';
function neverTaken() {
  throw new Error('tether-agent: this code path is not bundled (see agent/scripts/bundle.js)');
}
module.exports = new Proxy(neverTaken, {
  get: (_target, key) => (key === '__esModule' ? false : neverTaken),
});
