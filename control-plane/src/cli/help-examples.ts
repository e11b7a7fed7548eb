/**
 * One example per `tether-cp` command, shown at the end of its `--help`; keyed by the command's path (`''`: the
 * program). A test keeps every command covered.
 */
export const CP_EXAMPLES: Readonly<Record<string, string>> = {
  '': '$ tether-cp serve --http-port 8080            # data in ./data (or $TETHER_DATA_DIR)\n$ tether-cp agent list',
  serve:
    '$ tether-cp serve --data-dir /var/lib/tether --http-port 8080 --mqtt-port 1883\n' +
    '$ TETHER_DATA_DIR=/var/lib/tether tether-cp serve --config tether.yaml',
  'agent add': '$ tether-cp agent add edge-7 --strategy none   # prints {"id","secret"} once',
  'agent list':
    '$ tether-cp agent list\n$ tether-cp agent list --json | jq -r \'.agents[] | select(.status == "online") | .id\'',
  'agent revoke':
    '$ tether-cp agent revoke edge-7                 # a running server cuts it off within 250 ms',
  'agents upgrade':
    '$ tether-cp agents upgrade --file agent/dist/tether-agent.mjs --agents site=berlin --canary 1 --deadline 60s\n' +
    '$ curl -H "authorization: Bearer $TOKEN" localhost:8080/api/v1/upgrades   # follow the rollout',
  'token create': '$ tether-cp token create --role viewer --name grafana',
  'token list': '$ tether-cp token list\n$ tether-cp token list --json',
  'token delete': '$ tether-cp token delete 3f2a9c1b0d4e                 # the ID column of token list',
  'grant create': '$ tether-cp grant create --site berlin --label tier=gold --ttl 1h',
  'grant list': '$ tether-cp grant list',
  'grant revoke':
    '$ tether-cp grant revoke Xq3v0nB2…                     # the ID column of grant list, or the whole tg1.… token',
  'certs init': '$ tether-cp certs init --host cp.example.com',
  apply:
    '$ tether-cp apply -f network.yaml --dry-run      # print the changes, make none\n' +
    '$ tether-cp apply -f network.yaml --prune        # also remove what the file does not name',
  export: '$ tether-cp export > network.yaml',
};
