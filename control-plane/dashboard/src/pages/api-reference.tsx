import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { api } from '../api.js';
import { Empty, Panel } from '../components/ui.js';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  additionalProperties?: Schema | boolean;
  description?: string;
  default?: unknown;
  pattern?: string;
};

interface OperationDoc {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  'x-websocket'?: boolean;
  parameters?: Array<{ name: string; in: string; required: boolean; description?: string; schema: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: Schema }> }>;
}

interface OpenApiDoc {
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, OperationDoc>>;
  components: { schemas: Record<string, Schema> };
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** A JSON Schema as a compact, readable tree; `$ref`s link to the component below. */
function SchemaView(props: { schema: Schema; depth?: number }): JSX.Element {
  const s = props.schema;
  const depth = props.depth ?? 0;
  if (s.$ref)
    return (
      <a
        href={`#schema-${refName(s.$ref)}`}
        class="ref"
        onClick={() => document.getElementById(`schema-${refName(s.$ref!)}`)?.setAttribute('open', '')}
      >
        {refName(s.$ref)}
      </a>
    );
  const alts = s.anyOf ?? s.oneOf;
  if (alts)
    return (
      <span>
        {alts.map((a, i) => (
          <span key={i}>
            {i ? ' | ' : ''}
            <SchemaView schema={a} depth={depth} />
          </span>
        ))}
      </span>
    );
  if (s.enum) return <span class="type">{s.enum.map((v) => JSON.stringify(v)).join(' | ')}</span>;
  if (s.const !== undefined) return <span class="type">{JSON.stringify(s.const)}</span>;
  const type = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
  if (type === 'array' && s.items)
    return (
      <span>
        <SchemaView schema={s.items} depth={depth} />
        <span class="type">[]</span>
      </span>
    );
  if (s.properties && depth < 4)
    return (
      <ul class="props">
        {Object.entries(s.properties).map(([name, p]) => (
          <li key={name}>
            <code>{name}</code>
            {s.required?.includes(name) ? '' : <span class="muted">?</span>}:{' '}
            <SchemaView schema={p} depth={depth + 1} />
            {p.description ? <span class="muted"> — {p.description}</span> : null}
          </li>
        ))}
      </ul>
    );
  if (type === 'object' && typeof s.additionalProperties === 'object')
    return (
      <span>
        <span class="type">{'{ [key]: '}</span>
        <SchemaView schema={s.additionalProperties} depth={depth + 1} />
        <span class="type">{' }'}</span>
      </span>
    );
  return <span class="type">{type ?? 'any'}</span>;
}

function Operation(props: { method: string; path: string; op: OperationDoc }): JSX.Element {
  const { method, path, op } = props;
  const body = op.requestBody?.content['application/json']?.schema;
  return (
    <details class="op" id={op.operationId}>
      <summary>
        <span class={`method method-${op['x-websocket'] ? 'ws' : method}`}>
          {op['x-websocket'] ? 'ws' : method}
        </span>
        <code class="path">{path}</code> <span>{op.summary}</span>
      </summary>
      <div class="op-body">
        {op.description ? <p>{op.description}</p> : null}
        {op.parameters?.length ? (
          <table class="table compact">
            <thead>
              <tr>
                <th>parameter</th>
                <th>in</th>
                <th>schema</th>
                <th>description</th>
              </tr>
            </thead>
            <tbody>
              {op.parameters.map((p) => (
                <tr key={`${p.in}-${p.name}`}>
                  <td>
                    <code>{p.name}</code>
                    {p.required ? ' *' : ''}
                  </td>
                  <td>{p.in}</td>
                  <td>
                    <SchemaView schema={p.schema} />
                  </td>
                  <td>{p.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {body ? (
          <div>
            <h4>Request body (JSON)</h4>
            <SchemaView schema={body} />
          </div>
        ) : null}
        <h4>Responses</h4>
        <ul class="responses">
          {Object.entries(op.responses).map(([code, r]) => {
            const content = r.content ? Object.entries(r.content)[0] : undefined;
            return (
              <li key={code}>
                <b>{code}</b> {r.description}
                {content ? <span class="muted"> ({content[0]})</span> : null}
                {content?.[1].schema ? (
                  <div class="schema">
                    <SchemaView schema={content[1].schema} />
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      </div>
    </details>
  );
}

/** The OpenAPI document rendered in the page (offline: no reference UI from a CDN). */
export function ApiReference(): JSX.Element {
  const [doc, setDoc] = useState<OpenApiDoc | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<OpenApiDoc>('/api/v1/openapi.json').then(setDoc, (err: Error) => setError(err.message));
  }, []);
  if (!doc)
    return (
      <div class="page">
        <Empty>{error ?? 'Loading…'}</Empty>
      </div>
    );
  const byTag = new Map<string, Array<{ method: string; path: string; op: OperationDoc }>>();
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }
  return (
    <div class="page api-ref">
      <Panel
        title={`${doc.info.title} API ${doc.info.version}`}
        actions={
          <a href="/api/v1/openapi.json" target="_blank" rel="noreferrer">
            openapi.json
          </a>
        }
      >
        <p>{doc.info.description}</p>
      </Panel>
      {[...byTag].map(([tag, ops]) => (
        <Panel key={tag} title={tag}>
          {ops.map((o) => (
            <Operation key={`${o.method} ${o.path}`} {...o} />
          ))}
        </Panel>
      ))}
      <Panel title={`Schemas (${Object.keys(doc.components.schemas).length})`}>
        {Object.entries(doc.components.schemas).map(([name, schema]) => (
          <details key={name} id={`schema-${name}`} class="component">
            <summary>
              <b>{name}</b>
            </summary>
            <SchemaView schema={schema} />
          </details>
        ))}
      </Panel>
    </div>
  );
}
