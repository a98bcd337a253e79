// Charts of bench/results/peers.json as self-contained SVG strings: latency and CPU against
// offered load from the knee ramps, and the knee rates side by side. No dependencies, no scripts,
// no external fonts, so GitHub's Markdown (which shows an SVG as an <img>) renders them as-is.
//
//   renderCharts(report) -> [{ name, title, svg }]   (name is a file stem: docs/charts/<name>.svg)
import { KNEE_P99_MS } from './workloads.mjs';

const ORDER = ['sotto', 'prosody', 'ejabberd', 'mosquitto'];
// Okabe-Ito colours: told apart with the common colour-vision deficiencies and in greyscale.
const COLOURS = { sotto: '#0072B2', prosody: '#D55E00', ejabberd: '#CC79A7', mosquitto: '#009E73' };
const SPARE_COLOURS = ['#E69F00', '#56B4E9', '#000000'];
const FONT = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const GENERATOR_MARK = '†'; // as in report.mjs
// A label on a reference line, haloed in white so it stays readable where a curve crosses it.
const LINE_LABEL = { fill: '#333', 'font-size': 11.5, stroke: '#fff', 'stroke-width': 3, 'paint-order': 'stroke' };

const WIDTH = 800;
const PLOT = { left: 72, right: WIDTH - 40, top: 62, height: 330 };
const LEGEND_ROW = 22;
// Axes fit the data exactly, so the data's ends sit this far inside the frame, markers whole.
const INSET = 10;
const X_RANGE = [PLOT.left + INSET, PLOT.right - INSET];
const Y_RANGE = [PLOT.top + PLOT.height - INSET, PLOT.top + INSET];

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a');
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const attrs = (a) => Object.entries(a).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
const text = (x, y, s, a = {}) => `<text${attrs({ x: x.toFixed(1), y: y.toFixed(1), ...a })}>${esc(s)}</text>`;
const line = (x1, y1, x2, y2, a = {}) => `<line${attrs({ x1: x1.toFixed(1), y1: y1.toFixed(1), x2: x2.toFixed(1), y2: y2.toFixed(1), ...a })}/>`;
const title = (s) => `<title>${esc(s)}</title>`;
/** ejabberd spells its name in lower case; the others are capitalised. */
const displayName = (peer) => (peer === 'ejabberd' ? peer : peer[0].toUpperCase() + peer.slice(1));
// No text metrics in SVG: a generous average glyph width for a 12 px sans-serif keeps rows apart.
const textWidth = (s, size = 12) => s.length * size * 0.55;

function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** The servers with a usable knee result, Sotto first, each with its steps pooled per offered rate. */
export function kneeSeries(report) {
  const peers = Object.keys(report?.peers ?? {});
  const ordered = [...ORDER.filter((p) => peers.includes(p)), ...peers.filter((p) => !ORDER.includes(p))];
  const series = [];
  for (const peer of ordered) {
    const knee = report.peers[peer]?.workloads?.knee;
    const steps = (knee?.ramps ?? []).flatMap((ramp) => ramp.steps ?? []).filter((s) => Number.isFinite(s.rate) && s.rate > 0);
    if (knee?.error || !steps.length) continue;
    const byRate = new Map();
    for (const step of steps) byRate.set(step.rate, [...(byRate.get(step.rate) ?? []), step]);
    // A ramp retries and bisects, so a rate can have several steps: the median says what is typical.
    const points = [...byRate.entries()].sort(([a], [b]) => a - b).map(([rate, at]) => ({
      rate,
      steps: at.length,
      lossy: at.filter((s) => s.delivered < s.sent).length,
      hopP50: median(at.map((s) => s.hopP50)),
      hopP99: median(at.map((s) => s.hopP99)),
      serverCpu: median(at.map((s) => s.serverCpu)),
      generatorCpu: median(at.map((s) => s.generatorCpu)),
    }));
    series.push({
      peer,
      name: displayName(peer),
      colour: COLOURS[peer] ?? SPARE_COLOURS[series.length % SPARE_COLOURS.length],
      knee: Number.isFinite(knee.kneeRate?.median) && knee.kneeRate.median > 0 ? knee.kneeRate.median : null,
      kneeRange: knee.kneeRate,
      generatorLimited: Boolean(knee.generatorLimited),
      ladderExhausted: Boolean(knee.ladderExhausted),
      ramps: knee.ramps.length,
      options: { pairs: knee.pairs, seconds: knee.seconds, mode: knee.mode },
      points,
    });
  }
  return series;
}

// --- scales and the frame ------------------------------------------------------------------------

function logScale(lo, hi, from, to) {
  const span = Math.log(hi / lo);
  return (v) => from + (Math.log(v / lo) / span) * (to - from);
}

const linearScale = (lo, hi, from, to) => (v) => from + ((v - lo) / (hi - lo)) * (to - from);

/** Offered rates on a doubling ladder like the ramps', from 1,000 msg/s (or lower) up. */
function rateAxis(rates) {
  const lo = Math.min(1000, 1000 * 2 ** Math.floor(Math.log2(Math.min(...rates) / 1000)));
  const hi = Math.max(lo * 2, 1000 * 2 ** Math.ceil(Math.log2(Math.max(...rates) / 1000)));
  const ticks = [];
  for (let t = lo; t <= hi * 1.0001; t *= 2) ticks.push(t);
  return { lo, hi, ticks, label: (t) => fmt(t) };
}

/** Decades from 0.1 ms (or lower) to a 1-2-5 value at or above the slowest point, at least 1,000 ms. */
function latencyAxis(values) {
  const lo = Math.min(0.1, 10 ** Math.floor(Math.log10(Math.min(...values))));
  const top = Math.max(...values);
  const decade = 10 ** Math.floor(Math.log10(top));
  const hi = Math.max(1000, [1, 2, 5, 10].map((m) => m * decade).find((v) => v >= top));
  const ticks = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  if (ticks.at(-1) < hi) ticks.push(hi);
  const minor = [];
  for (let d = lo; d < hi; d *= 10) for (let m = 2; m < 10; m++) if (d * m < hi) minor.push(d * m);
  return { lo, hi, ticks, minor, label: (t) => fmt(t, Math.max(0, -Math.floor(Math.log10(t) + 1e-9))) };
}

/**
 * Lays each group of legend items (servers, then the key to line styles) out left to right on
 * rows of its own, wrapping at the plot's width; returns rows of placed items.
 */
function layoutLegend(groups) {
  const rows = [];
  for (const items of groups) {
    let x = PLOT.right; // forces a new row for each group
    for (const item of items) {
      const width = 30 + textWidth(item.label) + 22;
      if (x + width > PLOT.right + 20) {
        rows.push([]);
        x = PLOT.left;
      }
      rows.at(-1).push({ ...item, x });
      x += width;
    }
  }
  return rows;
}

/** The common frame: title, subtitle, grid, axes with ticks, the plot body, then legend and notes. */
function frame({ heading, subtitle, x, y, yGrid = [], body, overlay = '', legend, notes = [] }) {
  const bottom = PLOT.top + PLOT.height;
  const rows = layoutLegend(legend);
  const legendTop = bottom + 64;
  const notesTop = legendTop + rows.length * LEGEND_ROW + 6;
  const height = notesTop + notes.length * 17 + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${esc(FONT)}" font-size="12" fill="#222">`,
    title(heading),
    // An opaque background: GitHub's dark theme would otherwise show dark text on dark.
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    text(PLOT.left, 26, heading, { 'font-size': 17, 'font-weight': 'bold' }),
    text(PLOT.left, 46, subtitle, { fill: '#555' }),
  ];
  for (const t of yGrid) parts.push(line(PLOT.left, y.scale(t), PLOT.right, y.scale(t), { stroke: '#f0f0f0' }));
  for (const t of y.ticks) {
    parts.push(line(PLOT.left, y.scale(t), PLOT.right, y.scale(t), { stroke: '#ddd' }));
    parts.push(text(PLOT.left - 8, y.scale(t) + 4, y.label(t), { 'text-anchor': 'end' }));
  }
  for (const t of x.ticks) {
    parts.push(line(x.scale(t), PLOT.top, x.scale(t), bottom, { stroke: '#ddd' }));
    parts.push(text(x.scale(t), bottom + 18, x.label(t), { 'text-anchor': 'middle' }));
  }
  parts.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.height}" fill="none" stroke="#888"/>`);
  parts.push(text((PLOT.left + PLOT.right) / 2, bottom + 40, x.title, { 'text-anchor': 'middle', 'font-weight': 'bold' }));
  const yMid = PLOT.top + PLOT.height / 2;
  parts.push(text(18, yMid, y.title, { 'text-anchor': 'middle', 'font-weight': 'bold', transform: `rotate(-90 18 ${yMid})` }));
  parts.push(body, overlay);
  rows.forEach((row, r) => {
    const cy = legendTop + r * LEGEND_ROW;
    for (const item of row) parts.push(`<g transform="translate(${item.x.toFixed(1)} ${cy})">${item.swatch}</g>`, text(item.x + 30, cy + 4, item.label));
  });
  notes.forEach((note, k) => parts.push(text(PLOT.left, notesTop + k * 17 + 4, note, { fill: '#555', 'font-size': 11.5 })));
  parts.push('</svg>');
  return parts.join('\n');
}

// --- marks ---------------------------------------------------------------------------------------

const path = (points, a) => (points.length > 1 ? `<path${attrs({ d: points.map(([px, py], k) => `${k ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`).join(' '), fill: 'none', ...a })}/>` : '');

/** A point; hollow when some step at its rate did not deliver everything. */
const marker = (cx, cy, colour, r, hollow, tip) => `<circle${attrs({ cx: cx.toFixed(1), cy: cy.toFixed(1), r, fill: hollow ? '#fff' : colour, stroke: colour, 'stroke-width': hollow ? 2 : 1 })}>${title(tip)}</circle>`;

const lineSwatch = (colour, dash) => line(0, 0, 24, 0, { stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dash });
const dotSwatch = (colour, hollow) => `${lineSwatch(colour)}${marker(12, 0, colour, 4, hollow, '')}`;

/** One line per server through its per-rate medians of `field`, with a marker at each. */
function seriesMarks(s, field, { x, y, dash, r, describe }) {
  // A log axis cannot show 0; a step with nothing delivered has no latency at all.
  const usable = s.points.filter((p) => Number.isFinite(p[field]) && (!y.log || p[field] > 0));
  const xy = usable.map((p) => [x.scale(p.rate), y.scale(p[field])]);
  const marks = usable.map((p, k) => marker(xy[k][0], xy[k][1], s.colour, r, p.lossy > 0, describe(p)));
  return path(xy, { stroke: s.colour, 'stroke-width': dash ? 1.6 : 2.2, 'stroke-dasharray': dash }) + marks.join('');
}

const stepsNote = (p) => `median of ${p.steps} step${p.steps > 1 ? 's' : ''}${p.lossy ? `, ${p.lossy} with messages undelivered` : ''}`;

/** A dotted vertical line at each server's knee, so the curves can be read against it. */
function kneeLines(series, x) {
  return series.filter((s) => s.knee).map((s) => line(x.scale(s.knee), PLOT.top, x.scale(s.knee), PLOT.top + PLOT.height, { stroke: s.colour, 'stroke-width': 1.5, 'stroke-dasharray': '2 4' })).join('');
}

function kneeLabel(s) {
  if (!s.knee) return `${s.name}: no knee (failed at the first step)`;
  const more = s.ladderExhausted ? ' or more' : '';
  return `${s.name}: knee ${fmt(s.knee)}${more} msg/s${s.generatorLimited ? ` ${GENERATOR_MARK}` : ''}`;
}

/** The servers on one row, then a key to the line styles and markers on the next. */
function legendFor(series, solid, dashed) {
  const grey = '#555';
  return [
    series.map((s) => ({ swatch: dotSwatch(s.colour), label: kneeLabel(s) })),
    [
      { swatch: lineSwatch(grey), label: solid },
      { swatch: lineSwatch(grey, '6 4'), label: dashed },
      { swatch: line(12, -8, 12, 8, { stroke: grey, 'stroke-width': 1.5, 'stroke-dasharray': '2 4' }), label: 'knee (dotted)' },
      ...(series.some((s) => s.points.some((p) => p.lossy)) ? [{ swatch: dotSwatch(grey, true), label: 'messages undelivered' }] : []),
    ],
  ];
}

function commonNotes(series) {
  const notes = [];
  // Servers measured in different runs may differ in mode or sizes: say each value that occurs.
  const each = (pick) => [...new Set(series.map(pick))].join('/');
  const modes = each((s) => s.options.mode ?? '');
  notes.push(`Each point: the median over all steps at that offered rate (${each((s) => s.ramps)} ramps of ${each((s) => s.options.seconds)} s steps, ${each((s) => s.options.pairs)} sender → recipient pairs${modes ? `, ${modes} mode` : ''}).`);
  if (series.some((s) => s.points.some((p) => p.lossy))) notes.push('Hollow marker: at least one step at that rate did not deliver every message (its latency counts only what arrived).');
  if (series.some((s) => s.generatorLimited)) notes.push(`${GENERATOR_MARK} The load generator fell behind its schedule in a failing step: that knee may be the generator's limit, not the server's.`);
  return notes;
}

// --- the charts ----------------------------------------------------------------------------------

function latencyChart(series) {
  const rates = series.flatMap((s) => [...s.points.map((p) => p.rate), ...(s.knee ? [s.knee] : [])]);
  const values = series.flatMap((s) => s.points.flatMap((p) => [p.hopP50, p.hopP99])).filter((v) => Number.isFinite(v) && v > 0);
  if (!values.length) return null;
  const xa = rateAxis(rates);
  const ya = latencyAxis(values);
  const x = { ...xa, scale: logScale(xa.lo, xa.hi, ...X_RANGE), title: 'offered rate (msg/s, log scale)' };
  const y = { ...ya, log: true, scale: logScale(ya.lo, ya.hi, ...Y_RANGE), title: 'hop latency (ms, log scale)' };
  const criterionY = y.scale(KNEE_P99_MS);
  const body = [
    kneeLines(series, x),
    line(PLOT.left, criterionY, PLOT.right, criterionY, { stroke: '#333', 'stroke-width': 1.2, 'stroke-dasharray': '8 3 2 3' }),
    ...series.map((s) => seriesMarks(s, 'hopP50', { x, y, dash: '6 4', r: 3, describe: (p) => `${s.name}, ${fmt(p.rate)} msg/s: hop p50 ${fmt(p.hopP50, 2)} ms (${stepsNote(p)})` })),
    ...series.map((s) => seriesMarks(s, 'hopP99', { x, y, r: 3.8, describe: (p) => `${s.name}, ${fmt(p.rate)} msg/s: hop p99 ${fmt(p.hopP99, 2)} ms (${stepsNote(p)})` })),
  ].join('');
  // The criterion's label sits above its line at the left, where the curves are at their lowest.
  const overlay = text(PLOT.left + 6, criterionY - 5, `knee criterion: p99 ≤ ${KNEE_P99_MS} ms`, LINE_LABEL);
  const legend = legendFor(series, 'hop p99 (solid)', 'hop p50 (dashed)');
  return {
    name: 'peers-latency-vs-load',
    title: 'Hop latency against offered load',
    svg: frame({
      heading: 'Hop latency against offered load',
      subtitle: 'Scheduled send → receipt at the recipient, 1:1 chats; lower is better. The knee is the highest rate that held the criterion.',
      x, y, yGrid: ya.minor, body, overlay, legend, notes: commonNotes(series),
    }),
  };
}

function cpuChart(series, pinned) {
  const cpu = series.flatMap((s) => s.points.flatMap((p) => [p.serverCpu, p.generatorCpu])).filter(Number.isFinite);
  if (!cpu.length) return null;
  const rates = series.flatMap((s) => [...s.points.map((p) => p.rate), ...(s.knee ? [s.knee] : [])]);
  const xa = rateAxis(rates);
  const hi = Math.max(1.2, Math.ceil(Math.max(...cpu) * 5) / 5);
  const ticks = [];
  for (let t = 0; t <= hi + 1e-9; t += 0.2) ticks.push(Number(t.toFixed(1)));
  const x = { ...xa, scale: logScale(xa.lo, xa.hi, ...X_RANGE), title: 'offered rate (msg/s, log scale)' };
  const y = { ticks, label: (t) => t.toFixed(1), log: false, scale: linearScale(0, hi, ...Y_RANGE), title: 'CPU (share of one core)' };
  const body = [
    kneeLines(series, x),
    line(PLOT.left, y.scale(1), PLOT.right, y.scale(1), { stroke: '#333', 'stroke-width': 1.2, 'stroke-dasharray': '8 3 2 3' }),
    ...series.map((s) => seriesMarks(s, 'generatorCpu', { x, y, dash: '6 4', r: 2.5, describe: (p) => `${s.name}, ${fmt(p.rate)} msg/s: load generator CPU ${fmt(p.generatorCpu, 2)} (${stepsNote(p)})` })),
    ...series.map((s) => seriesMarks(s, 'serverCpu', { x, y, r: 3.8, describe: (p) => `${s.name}, ${fmt(p.rate)} msg/s: server CPU ${fmt(p.serverCpu, 2)} (${stepsNote(p)})` })),
  ].join('');
  const overlay = text(PLOT.left + 6, y.scale(1) - 5, pinned ? 'one core: all a server pinned to core 0 can have' : 'one core', LINE_LABEL);
  const legend = legendFor(series, 'server (solid)', 'load generator (dashed)');
  return {
    name: 'peers-cpu-vs-load',
    title: 'CPU against offered load',
    svg: frame({
      heading: 'CPU against offered load',
      subtitle: `${pinned ? 'Server pinned to core 0, load generator to core 1' : 'Not pinned to cores'}; a server near 1.0 at its knee is CPU-bound there.`,
      x, y, body, overlay, legend, notes: commonNotes(series),
    }),
  };
}

/** Four to eight round values from 0 to `hi`, with a 1-2-5 step. */
function niceTicks(hi) {
  const rough = hi / 5;
  const decade = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * decade).find((v) => v >= rough);
  const ticks = [];
  for (let t = 0; t <= hi; t += step) ticks.push(t);
  return ticks;
}

/** Horizontal bars of the knee rates (median, whisker over ramps), with Sotto's ratio to each peer. */
function kneeBars(series) {
  const withKnee = series.filter((s) => s.knee);
  if (!withKnee.length) return null;
  const rowHeight = 34;
  const top = 62;
  const left = 120;
  const right = WIDTH - 260; // room for the value label after the longest whisker
  const maxRate = Math.max(...withKnee.map((s) => s.kneeRange.max ?? s.knee));
  const scale = linearScale(0, maxRate * 1.05, left, right);
  const sotto = withKnee.find((s) => s.peer === 'sotto');
  const ratios = sotto ? withKnee.filter((s) => s !== sotto).map((s) => `${(sotto.knee / s.knee).toFixed(2)}× ${s.name}'s`) : [];
  const notes = [
    `Bar: the median knee over ${[...new Set(withKnee.map((s) => s.ramps))].join('/')} ramps; whisker: lowest to highest ramp.`,
    ...(withKnee.some((s) => s.generatorLimited) ? [`${GENERATOR_MARK} The load generator fell behind in a failing step: that knee may be the generator's limit.`] : []),
  ];
  const bottom = top + withKnee.length * rowHeight;
  const height = bottom + 36 + notes.length * 17 + 8;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${esc(FONT)}" font-size="12" fill="#222">`,
    title('Throughput knee'),
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    text(24, 26, 'Throughput knee (msg/s, higher is better)', { 'font-size': 17, 'font-weight': 'bold' }),
    text(24, 46, ratios.length ? `Sotto's knee is ${ratios.join(' and ')}.` : `Highest offered rate with every message delivered and hop p99 ≤ ${KNEE_P99_MS} ms.`, { fill: '#555' }),
  ];
  withKnee.forEach((s, k) => {
    const cy = top + k * rowHeight + rowHeight / 2;
    const { min, max } = s.kneeRange;
    parts.push(text(left - 10, cy + 4, s.name, { 'text-anchor': 'end', 'font-weight': 'bold' }));
    parts.push(`<rect x="${left}" y="${(cy - 10).toFixed(1)}" width="${(scale(s.knee) - left).toFixed(1)}" height="20" fill="${s.colour}">${title(`${s.name}: ${fmt(s.knee)} msg/s (${fmt(min)}–${fmt(max)})`)}</rect>`);
    if (Number.isFinite(min) && Number.isFinite(max) && min !== max) {
      parts.push(line(scale(min), cy, scale(max), cy, { stroke: '#222', 'stroke-width': 1.5 }));
      for (const v of [min, max]) parts.push(line(scale(v), cy - 6, scale(v), cy + 6, { stroke: '#222', 'stroke-width': 1.5 }));
    }
    const label = `${fmt(s.knee)}${s.ladderExhausted ? ' or more' : ''}${Number.isFinite(min) && min !== max ? ` (${fmt(min)}–${fmt(max)})` : ''}${s.generatorLimited ? ` ${GENERATOR_MARK}` : ''}`;
    parts.push(text(Math.max(scale(s.knee), Number.isFinite(max) ? scale(max) : 0) + 8, cy + 4, label));
  });
  parts.push(line(left, top, left, bottom, { stroke: '#888' }), line(left, bottom, right, bottom, { stroke: '#888' }));
  for (const t of niceTicks(maxRate * 1.05)) {
    parts.push(line(scale(t), bottom, scale(t), bottom + 4, { stroke: '#888' }), text(scale(t), bottom + 17, fmt(t), { 'text-anchor': 'middle', fill: '#555', 'font-size': 11 }));
  }
  notes.forEach((note, k) => parts.push(text(24, bottom + 40 + k * 17, note, { fill: '#555', 'font-size': 11.5 })));
  parts.push('</svg>');
  return { name: 'peers-knee', title: 'Throughput knee', svg: parts.join('\n') };
}

/** Every chart the report has data for; [] when no server has a knee result. */
export function renderCharts(report) {
  const series = kneeSeries(report);
  if (!series.length) return [];
  const pinned = typeof report.pinning === 'object'; // bench/peers.mjs writes a sentence when it could not pin
  return [latencyChart(series), cpuChart(series, pinned), kneeBars(series)].filter(Boolean);
}
