/**
 * Models: each domain's current best model, where it came from (block, optimizer, votes), and a
 * playground that asks it for predictions (`doin.infer`, answered in a worker).
 */
import { useEffect, useMemo, useState } from 'react';
import type { InferenceExample, ModelInfo } from '../../src/node/api';
import { AccountLink, BlockLink, QueryState } from '../components/bits';
import { LineChart } from '../components/LineChart';
import { errorText, formatMetric } from '../format';
import { useNodeQuery } from '../hooks';
import { href } from '../router';
import { useNodeStore } from '../store';

export default function Models({ domainId }: { domainId: string | null }) {
  const models = useNodeQuery('models', (node) => node.models());
  const list = models.data ?? [];
  const selected = list.find((m) => m.domainId === domainId) ?? list[0];
  return (
    <>
      <section className="card" aria-labelledby="models-heading">
        <h1 id="models-heading">Models</h1>
        <p className="lede">
          The network’s best model for each domain: trained in browsers, verified by quorums of
          other browsers, recorded on the chain. Try them below; predictions run in this page.
        </p>
        <QueryState loading={models.loading && !models.data} error={models.error} what="models" />
        {list.length > 0 && (
          <nav aria-label="Domains" className="tabs">
            {list.map((m) => (
              <a
                key={m.domainId}
                className="tab"
                href={href.models(m.domainId)}
                aria-current={m === selected ? 'page' : undefined}
              >
                {m.name}
              </a>
            ))}
          </nav>
        )}
      </section>
      {selected && <ModelCard model={selected} />}
      {selected && <Playground key={selected.domainId} model={selected} />}
    </>
  );
}

function ModelCard({ model }: { model: ModelInfo }) {
  const better =
    model.direction === 'minimize'
      ? model.bestMetric < model.initialMetric
      : model.bestMetric > model.initialMetric;
  const change =
    model.initialMetric !== 0
      ? Math.abs((model.bestMetric - model.initialMetric) / model.initialMetric) * 100
      : null;
  return (
    <section
      className="card"
      aria-labelledby="model-heading"
      data-testid={`model-${model.domainId}`}
    >
      <h2 id="model-heading">{model.name}</h2>
      <p>{model.description}</p>
      <dl className="facts">
        <dt>Metric</dt>
        <dd>
          {model.metric} ({model.direction === 'minimize' ? 'lower is better' : 'higher is better'})
        </dd>
        <dt>Best vs initial</dt>
        <dd data-testid="model-best">
          <strong>{formatMetric(model.bestMetric)}</strong> vs {formatMetric(model.initialMetric)}
          {better && change !== null && (
            <span className="tag tag-good">
              {' '}
              {change >= 99.95 ? '>99.9' : change.toFixed(1)}% better
            </span>
          )}
        </dd>
        <dt>Verified improvements</dt>
        <dd>{model.verifiedCount}</dd>
        <dt>Parameters</dt>
        <dd>
          {model.paramCount.toLocaleString('en-US')} numbers
          {model.paramsHash ? (
            <>
              , sha256 <code title={model.paramsHash}>{model.paramsHash.slice(0, 16)}…</code>
            </>
          ) : (
            ' (still the initial ones: no verified model yet)'
          )}
        </dd>
        {model.source && (
          <>
            <dt>Came from</dt>
            <dd data-testid="model-source">
              block <BlockLink id={model.source.blockHash} label={`#${model.source.height}`} />,
              optimized by <AccountLink id={model.source.optimizer} />, who claimed{' '}
              {formatMetric(model.source.claimedMetric)}; {model.source.votes.length} evaluators
              measured{' '}
              {model.source.votes.map((v, i) => (
                <span key={v.evaluator}>
                  {i > 0 ? ', ' : ''}
                  {formatMetric(v.metric)}
                </span>
              ))}
            </dd>
          </>
        )}
        <dt>Data</dt>
        <dd>{model.data}</dd>
      </dl>
    </section>
  );
}

function Playground({ model }: { model: ModelInfo }) {
  const examples = useNodeQuery(
    `examples:${model.domainId}`,
    (node) => node.examples(model.domainId),
    false,
  );
  return (
    <section className="card" aria-labelledby="playground-heading" data-testid="playground">
      <h2 id="playground-heading">Playground: {model.name}</h2>
      {model.paramsHash === null && (
        <p className="notice">
          No verified model yet: answers come from the initial parameters until the network verifies
          an improvement.
        </p>
      )}
      <QueryState
        loading={examples.loading && !examples.data}
        error={examples.error}
        what="examples"
      />
      {examples.data &&
        (model.domainId === 'mackey-glass' ? (
          <ForecastPlayground domainId={model.domainId} examples={examples.data} />
        ) : model.domainId === 'boston-housing' ? (
          <HousingPlayground domainId={model.domainId} examples={examples.data} />
        ) : (
          <VectorPlayground domainId={model.domainId} examples={examples.data} />
        ))}
    </section>
  );
}

/** Calls doin.infer and keeps the answer or the error in words. */
function useInfer(domainId: string) {
  const node = useNodeStore((s) => s.node);
  const [answer, setAnswer] = useState<{ value: unknown } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  async function run(input: unknown): Promise<unknown> {
    if (!node) return undefined;
    setRunning(true);
    setError(null);
    try {
      const value = await node.infer(domainId, input);
      setAnswer({ value });
      return value;
    } catch (err) {
      setAnswer(null);
      setError(inferError(err));
      return undefined;
    } finally {
      setRunning(false);
    }
  }
  return { answer, error, running, run, setError };
}

function inferError(err: unknown): string {
  const text = errorText(err);
  if (/no (verified )?(model|params|parameters)/i.test(text))
    return `No verified model yet (${text}).`;
  return `The model could not answer: ${text}`;
}

/** A prediction as a number, from a plain number or { next } / { medv } / { value }. */
function asNumber(value: unknown, key?: string): number | null {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const candidate = key ? record[key] : (record.next ?? record.medv ?? record.value);
    if (typeof candidate === 'number') return candidate;
  }
  return null;
}

function Answer({
  running,
  error,
  children,
}: {
  running: boolean;
  error: string | null;
  children: React.ReactNode;
}) {
  return (
    <div className="answer" aria-live="polite">
      {running ? (
        <p className="muted">Asking the model…</p>
      ) : error ? (
        <p className="form-error" data-testid="playground-error">
          {error}
        </p>
      ) : (
        children
      )}
    </div>
  );
}

function parseNumbers(text: string, count: number): number[] {
  const parts = text
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map(Number);
  if (parts.some((n) => !Number.isFinite(n))) throw new Error('only numbers, separated by commas');
  if (parts.length !== count) throw new Error(`${count} numbers needed, got ${parts.length}`);
  return parts;
}

const WINDOW = 16;

/** Mackey–Glass: edit a 16-value window, predict the next value; forecast along a series. */
function ForecastPlayground({
  domainId,
  examples,
}: {
  domainId: string;
  examples: InferenceExample[];
}) {
  const node = useNodeStore((s) => s.node);
  const [choice, setChoice] = useState(0);
  const example = examples[choice];
  const initialWindow = (example?.input as { window?: number[] } | undefined)?.window ?? [];
  const [text, setText] = useState(initialWindow.map((n) => n.toFixed(4)).join(', '));
  const infer = useInfer(domainId);
  const [forecast, setForecast] = useState<{
    actual: number[];
    predicted: (number | null)[];
  } | null>(null);
  const [forecastError, setForecastError] = useState<string | null>(null);
  const [forecasting, setForecasting] = useState(false);

  // Slide the window along the example's series: one-step-ahead predictions vs what came.
  useEffect(() => {
    const series = example?.series;
    if (!node || !series || series.length <= WINDOW) {
      setForecast(null);
      return;
    }
    let cancelled = false;
    setForecasting(true);
    setForecastError(null);
    (async () => {
      const actual = series.slice(0, Math.min(series.length, 160));
      const predicted: (number | null)[] = actual.map(() => null);
      for (let i = WINDOW; i < actual.length; i++) {
        if (cancelled) return;
        const out = await node.infer(domainId, { window: actual.slice(i - WINDOW, i) });
        predicted[i] = asNumber(out, 'next');
      }
      if (!cancelled) setForecast({ actual, predicted });
    })()
      .catch((err: unknown) => {
        if (!cancelled) setForecastError(inferError(err));
      })
      .finally(() => {
        if (!cancelled) setForecasting(false);
      });
    return () => {
      cancelled = true;
    };
  }, [node, domainId, example]);

  const chartData = useMemo(() => {
    if (!forecast) return null;
    const xs = forecast.actual.map((_, i) => i);
    return [xs, forecast.actual, forecast.predicted] as [number[], number[], (number | null)[]];
  }, [forecast]);

  const expected = asNumber(example?.expected, 'next');
  const predicted = asNumber(infer.answer?.value, 'next');
  return (
    <>
      <p>
        The model sees 16 samples of a chaotic series and predicts the next one. The chart slides
        that window along a stretch of the series: each orange point is a prediction made from the
        16 real values before it.
      </p>
      {examples.length > 1 && (
        <ExamplePicker
          id="forecast-example"
          label="Stretch of the series"
          examples={examples}
          choice={choice}
          onChoose={(next) => {
            setChoice(next);
            const w = (examples[next]?.input as { window?: number[] } | undefined)?.window ?? [];
            setText(w.map((n) => n.toFixed(4)).join(', '));
          }}
        />
      )}
      {forecasting && <p className="muted">Forecasting along the series…</p>}
      {forecastError && <p className="form-error">{forecastError}</p>}
      {chartData && (
        <LineChart
          data={chartData}
          series={[
            { label: 'actual', color: '#2f7de1', points: false },
            { label: 'predicted', color: '#d9480f', points: true, dash: [4, 3] },
          ]}
          xLabel="sample"
          yLabel="value"
          height={240}
          formatY={(y) => y.toFixed(2)}
          testId="forecast-chart"
        />
      )}
      <form
        className="playground-form"
        onSubmit={(event) => {
          event.preventDefault();
          try {
            void infer.run({ window: parseNumbers(text, WINDOW) });
          } catch (err) {
            infer.setError(`Window: ${errorText(err)}`);
          }
        }}
      >
        <div className="field">
          <label htmlFor="forecast-window">Window: the 16 values before the one to predict</label>
          <textarea
            id="forecast-window"
            rows={3}
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
            spellCheck={false}
          />
        </div>
        <button type="submit" disabled={infer.running}>
          Predict the next value
        </button>
      </form>
      <Answer running={infer.running} error={infer.error}>
        {infer.answer && (
          <p>
            Prediction: <strong data-testid="prediction">{formatMetric(predicted)}</strong>
            {expected !== null && text === initialWindow.map((n) => n.toFixed(4)).join(', ') && (
              <span className="muted"> (the series went on with {formatMetric(expected)})</span>
            )}
          </p>
        )}
      </Answer>
    </>
  );
}

const HOUSING_FEATURES: { key: string; label: string }[] = [
  { key: 'crim', label: 'Crime rate per person' },
  { key: 'zn', label: 'Land zoned for large lots (%)' },
  { key: 'indus', label: 'Non-retail business acres (%)' },
  { key: 'chas', label: 'Borders the Charles River (1 yes, 0 no)' },
  { key: 'nox', label: 'Nitric oxides (parts per 10 million)' },
  { key: 'rm', label: 'Rooms per dwelling' },
  { key: 'age', label: 'Homes built before 1940 (%)' },
  { key: 'dis', label: 'Distance to employment centres' },
  { key: 'rad', label: 'Access to radial highways (index)' },
  { key: 'tax', label: 'Property tax per $10,000' },
  { key: 'ptratio', label: 'Pupils per teacher' },
  { key: 'b', label: 'B: 1000(Bk − 0.63)²' },
  { key: 'lstat', label: 'Lower-status population (%)' },
];

/** Boston housing: a form of the 13 features, prefilled from a real row with its true price. */
function HousingPlayground({
  domainId,
  examples,
}: {
  domainId: string;
  examples: InferenceExample[];
}) {
  const [choice, setChoice] = useState(0);
  const example = examples[choice];
  const rowValues = (e: InferenceExample | undefined) => {
    const input = (e?.input ?? {}) as Record<string, unknown>;
    return Object.fromEntries(
      HOUSING_FEATURES.map((f) => [f.key, input[f.key] === undefined ? '' : String(input[f.key])]),
    );
  };
  const [values, setValues] = useState<Record<string, string>>(() => rowValues(example));
  const infer = useInfer(domainId);
  const expected = asNumber(example?.expected, 'medv');
  const predicted = asNumber(infer.answer?.value, 'medv');
  const edited = JSON.stringify(values) !== JSON.stringify(rowValues(example));
  return (
    <form
      className="playground-form"
      onSubmit={(event) => {
        event.preventDefault();
        const input: Record<string, number> = {};
        for (const f of HOUSING_FEATURES) {
          const n = Number(values[f.key]);
          if (values[f.key]?.trim() === '' || !Number.isFinite(n)) {
            infer.setError(`${f.label} (${f.key}): write a number`);
            return;
          }
          input[f.key] = n;
        }
        void infer.run(input);
      }}
    >
      <p>
        The model estimates a Boston neighbourhood’s median home value (in $1000s, 1970s prices)
        from 13 features. Start from a real row and change what you like.
      </p>
      {examples.length > 0 && (
        <ExamplePicker
          id="housing-example"
          label="Start from"
          examples={examples}
          choice={choice}
          onChoose={(next) => {
            setChoice(next);
            setValues(rowValues(examples[next]));
          }}
        />
      )}
      <div className="feature-grid">
        {HOUSING_FEATURES.map((f) => (
          <div className="field" key={f.key}>
            <label htmlFor={`housing-${f.key}`}>
              {f.label} <span className="muted">({f.key})</span>
            </label>
            <input
              id={`housing-${f.key}`}
              inputMode="decimal"
              value={values[f.key] ?? ''}
              onChange={(event) => {
                const text = event.currentTarget.value;
                setValues((v) => ({ ...v, [f.key]: text }));
              }}
            />
          </div>
        ))}
      </div>
      <button type="submit" disabled={infer.running}>
        Estimate the value
      </button>
      <Answer running={infer.running} error={infer.error}>
        {infer.answer && (
          <p>
            Estimated median value:{' '}
            <strong data-testid="prediction">
              {predicted === null
                ? JSON.stringify(infer.answer.value)
                : `$${(predicted * 1000).toLocaleString('en-US', { maximumFractionDigits: 0 })}`}
            </strong>
            {expected !== null && !edited && (
              <span className="muted">
                {' '}
                (the real value: $
                {(expected * 1000).toLocaleString('en-US', { maximumFractionDigits: 0 })})
              </span>
            )}
          </p>
        )}
      </Answer>
    </form>
  );
}

/** Any other domain (quadratic-16: a 16-D point → its distance score): a vector or JSON input. */
function VectorPlayground({
  domainId,
  examples,
}: {
  domainId: string;
  examples: InferenceExample[];
}) {
  const toText = (input: unknown) =>
    Array.isArray(input) && input.every((n) => typeof n === 'number')
      ? input.map((n) => Number(n.toFixed(4))).join(', ')
      : JSON.stringify(input ?? null);
  const [choice, setChoice] = useState(0);
  const [text, setText] = useState(() => toText(examples[0]?.input ?? new Array(16).fill(0)));
  const infer = useInfer(domainId);
  const example = examples[choice];
  const vector = Array.isArray(example?.input) || examples.length === 0;
  return (
    <form
      className="playground-form"
      onSubmit={(event) => {
        event.preventDefault();
        let input: unknown;
        try {
          input = vector
            ? text
                .split(/[\s,;]+/)
                .filter(Boolean)
                .map((part) => {
                  const n = Number(part);
                  if (!Number.isFinite(n)) throw new Error(`“${part}” is not a number`);
                  return n;
                })
            : JSON.parse(text);
        } catch (err) {
          infer.setError(`Input: ${errorText(err)}`);
          return;
        }
        void infer.run(input);
      }}
    >
      {examples.length > 1 && (
        <ExamplePicker
          id="vector-example"
          label="Example"
          examples={examples}
          choice={choice}
          onChoose={(next) => {
            setChoice(next);
            setText(toText(examples[next]?.input));
          }}
        />
      )}
      <div className="field">
        <label htmlFor="vector-input">
          {vector ? 'Input: numbers separated by commas' : 'Input (JSON)'}
        </label>
        <textarea
          id="vector-input"
          data-testid="playground-input"
          rows={3}
          value={text}
          onChange={(event) => setText(event.currentTarget.value)}
          spellCheck={false}
        />
      </div>
      <button type="submit" disabled={infer.running}>
        Predict
      </button>
      <Answer running={infer.running} error={infer.error}>
        {infer.answer && (
          <p>
            Answer:{' '}
            <strong data-testid="prediction">
              {typeof infer.answer.value === 'number'
                ? formatMetric(infer.answer.value)
                : JSON.stringify(infer.answer.value)}
            </strong>
            {example?.expected !== undefined && (
              <span className="muted"> (expected {JSON.stringify(example.expected)})</span>
            )}
          </p>
        )}
      </Answer>
    </form>
  );
}

/** A labelled choice among the domain's ready-made examples. */
function ExamplePicker(props: {
  id: string;
  label: string;
  examples: readonly InferenceExample[];
  choice: number;
  onChoose: (index: number) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.choice}
        onChange={(event) => props.onChoose(Number(event.currentTarget.value))}
      >
        {props.examples.map((e, i) => (
          <option key={e.label} value={i}>
            {e.label}
          </option>
        ))}
      </select>
    </div>
  );
}
