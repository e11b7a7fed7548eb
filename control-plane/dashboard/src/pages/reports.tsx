import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { openSocket } from '../api.js';
import { Empty, Panel } from '../components/ui.js';
import { bytes, duration } from '../format.js';
import { Link } from '../router.js';
import { stats, streams } from '../store.js';
import type { ReportView } from '../types.js';

const TAIL = 200;

/** The live tail of committed reports (the `/api/v1/reports/live` WebSocket), optionally narrowed. */
function LiveTail(props: { streamNames: string[] }): JSX.Element {
  const [stream, setStream] = useState('');
  const [running, setRunning] = useState(false);
  const [lines, setLines] = useState<ReportView[]>([]);
  const [state, setState] = useState('stopped');
  const socket = useRef<WebSocket | null>(null);

  useEffect(() => {
    if (!running) return;
    const ws = openSocket(`/api/v1/reports/live${stream ? `?stream=${encodeURIComponent(stream)}` : ''}`);
    socket.current = ws;
    setState('connecting');
    ws.onopen = () => setState('live');
    ws.onclose = () => setState('closed');
    ws.onmessage = (m) => {
      try {
        const report = JSON.parse(String(m.data)) as ReportView;
        setLines((prev) => [report, ...prev].slice(0, TAIL));
      } catch {
        // not a report
      }
    };
    return () => ws.close();
  }, [running, stream]);

  return (
    <Panel
      title={`Live tail (${state})`}
      actions={
        <>
          <select value={stream} onChange={(e) => setStream(e.currentTarget.value)} aria-label="stream">
            <option value="">every stream</option>
            {props.streamNames.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <button onClick={() => setRunning(!running)} data-testid="tail-toggle">
            {running ? 'Stop' : 'Start'}
          </button>
          <button onClick={() => setLines([])}>Clear</button>
        </>
      }
    >
      {lines.length ? (
        <ul class="tail" data-testid="tail">
          {lines.map((r) => (
            <li key={r.id}>
              <time>{new Date(r.at).toLocaleTimeString()}</time> <b>{r.agent}</b>/{r.stream} #{r.seq}{' '}
              <code>
                {typeof r.data === 'string' ? r.data.slice(0, 300) : JSON.stringify(r.data).slice(0, 300)}
              </code>
            </li>
          ))}
        </ul>
      ) : (
        <Empty>
          {running ? 'Waiting for reports…' : 'Start the tail to see reports as the hub commits them.'}
        </Empty>
      )}
    </Panel>
  );
}

/** Report streams with their lag, and the live tail. */
export function Reports(): JSX.Element {
  const now = stats.value?.at ?? Date.now();
  const list = [...streams.value.values()].sort((a, b) => b.lastReceivedAt - a.lastReceivedAt);
  const names = [...new Set(list.map((s) => s.stream))].sort();
  return (
    <div class="page">
      <Panel title={`Streams (${list.length})`}>
        {list.length ? (
          <table class="table" data-testid="streams-table">
            <thead>
              <tr>
                <th>agent</th>
                <th>stream</th>
                <th>reports</th>
                <th>bytes</th>
                <th>last seq</th>
                <th>lag</th>
                <th>idle</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={`${s.agent}/${s.stream}`}>
                  <td>
                    <Link href={`/agents/${encodeURIComponent(s.agent)}`}>{s.agent}</Link>
                  </td>
                  <td>{s.stream}</td>
                  <td>{s.count}</td>
                  <td>{bytes(s.bytes)}</td>
                  <td>{s.lastSeq}</td>
                  <td class={s.lagMs > 60_000 ? 'bad' : ''}>{duration(s.lagMs)}</td>
                  <td>{duration(Math.max(0, now - s.lastReceivedAt))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>No report yet. Agents accept them on POST /v1/reports/&lt;stream&gt;.</Empty>
        )}
      </Panel>
      <LiveTail streamNames={names} />
    </div>
  );
}
