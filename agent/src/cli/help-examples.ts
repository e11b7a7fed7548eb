/**
 * One example per `tether-agent` command, shown at the end of its `--help`; keyed by the command's path (`''`: the
 * program). A test keeps every command covered.
 */
export const AGENT_EXAMPLES: Readonly<Record<string, string>> = {
  '':
    '$ tether-agent enroll --control-plane https://cp.example:8080 --grant tg1.… --state-dir /var/lib/tether\n' +
    '$ tether-agent run --state-dir /var/lib/tether --service orders=http://127.0.0.1:8080',
  run:
    '$ tether-agent run --state-dir /var/lib/tether --service orders=http://127.0.0.1:8080\n' +
    '$ TETHER_SECRET=… tether-agent run --control-plane mqtts://cp.example:8883 --id edge-7 --site berlin',
  enroll:
    '$ tether-agent enroll --control-plane https://cp.example:8080 --grant tg1.… --state-dir /var/lib/tether',
  report: '$ some-sensor --ndjson | tether-agent report temperature     # prints {"stream","accepted"}',
};
